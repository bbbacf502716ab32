
/// One answer a task waits for: the first of the answer and the task's cancellation wins, and
/// whatever comes second is dropped. An answer that comes after a cancellation is simply
/// discarded; the request it answered still completed in its channel's FIFO.
final class ReplyWaiter<Value: Sendable>: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<Value, any Error>)
        case cancelled
        case done
    }

    private let state = Guarded(State.idle)

    /// Installs the continuation; false (and the continuation resumed with `CancellationError`)
    /// when the task was cancelled already.
    func install(_ continuation: CheckedContinuation<Value, any Error>) -> Bool {
        let proceed = state.withLock { state -> Bool in
            guard case .idle = state else { return false }
            state = .waiting(continuation)
            return true
        }
        if !proceed { continuation.resume(throwing: CancellationError()) }
        return proceed
    }

    /// Hands the answer to the waiting task; false when it is no longer waiting (cancelled, or
    /// answered already).
    @discardableResult
    func resolve(_ result: Result<Value, any Error>) -> Bool {
        let continuation = state.withLock { state -> CheckedContinuation<Value, any Error>? in
            guard case .waiting(let continuation) = state else { return nil }
            state = .done
            return continuation
        }
        continuation?.resume(with: result)
        return continuation != nil
    }

    /// The task was cancelled: it gets `CancellationError` now.
    func cancel() {
        let continuation = state.withLock { state -> CheckedContinuation<Value, any Error>? in
            switch state {
            case .idle:
                state = .cancelled
                return nil
            case .waiting(let continuation):
                state = .done
                return continuation
            case .cancelled, .done:
                return nil
            }
        }
        continuation?.resume(throwing: CancellationError())
    }
}

/// Waits for an answer that `start` arranges to deliver through the waiter. Cancelling the task
/// throws `CancellationError` at once (then `onCancel` runs); a task cancelled before the call
/// starts nothing.
func awaitReply<Value: Sendable>(
    onCancel: @escaping @Sendable () -> Void = {}, _ start: (ReplyWaiter<Value>) -> Void
) async throws -> Value {
    try Task.checkCancellation()
    let waiter = ReplyWaiter<Value>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
            if waiter.install(continuation) { start(waiter) }
        }
    } onCancel: {
        waiter.cancel()
        onCancel()
    }
}
