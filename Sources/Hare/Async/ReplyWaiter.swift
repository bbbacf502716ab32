import NIOCore

/// One answer a task waits for: the first of the answer and the task's cancellation wins, and
/// whatever comes second is dropped. An answer that comes after a cancellation is simply
/// discarded; the request it answered still completed in its channel's FIFO. An answer that
/// comes before the task installed its continuation is kept and handed over at `install`.
final class ReplyWaiter<Value: Sendable>: Sendable {
    private enum Phase {
        case idle
        case answered(Result<Value, any Error>)
        case waiting(CheckedContinuation<Value, any Error>)
        case cancelled
        case done

        /// Neither answered nor cancelled yet.
        var isPending: Bool {
            switch self {
            case .idle, .waiting: true
            case .answered, .cancelled, .done: false
            }
        }
    }

    private struct State {
        var phase = Phase.idle
        /// The timer of `bound(by:)`, once the loop has set it; cancelled when the wait settles.
        var timer: Scheduled<Void>?
    }

    private let state = Guarded(State())

    /// Installs the continuation. True when the task now waits; false when it was resumed at
    /// once: with the answer that came first, or with `CancellationError` when the task was
    /// cancelled already.
    func install(_ continuation: CheckedContinuation<Value, any Error>) -> Bool {
        let early = state.withLock { state -> Result<Value, any Error>? in
            switch state.phase {
            case .idle:
                state.phase = .waiting(continuation)
                return nil
            case .answered(let result):
                state.phase = .done
                return result
            case .waiting, .cancelled, .done:
                state.phase = .done
                return .failure(CancellationError())
            }
        }
        guard let early else { return true }
        continuation.resume(with: early)
        return false
    }

    /// Whether the answer is still wanted (neither answered nor cancelled yet).
    var isPending: Bool {
        state.withLock { $0.phase.isPending }
    }

    /// Bounds the wait: `deadline`'s loop fails it with `deadline.error` once the bound has
    /// passed. The timer is set on the loop and, when the answer comes first, cancelled where the
    /// answer settles the wait (usually the loop too): neither wakes the loop from the task's
    /// thread, as scheduling and cancelling it there would.
    func bound(by deadline: ReplyDeadline) {
        deadline.eventLoop.runOnLoop { [self] in
            state.withLock { state in
                guard state.phase.isPending else { return }
                state.timer = deadline.schedule { [self] in resolve(.failure(deadline.error)) }
            }
        }
    }

    /// Hands the answer to the task (now, or at `install` when it is not waiting yet); false when
    /// it no longer waits (cancelled, or answered already).
    @discardableResult
    func resolve(_ result: Result<Value, any Error>) -> Bool {
        settle(result, ifNotWaiting: .answered(result))
    }

    /// The task was cancelled: it gets `CancellationError` now, unless its answer came first.
    /// True when this cancelled the wait; false when the answer had won.
    @discardableResult
    func cancel() -> Bool {
        settle(.failure(CancellationError()), ifNotWaiting: .cancelled)
    }

    /// The first settlement wins: it resumes a waiting task with `result`, or (before `install`)
    /// leaves `early` for `install` to find, and cancels the timer. False when the wait was
    /// settled already.
    private func settle(_ result: Result<Value, any Error>, ifNotWaiting early: Phase) -> Bool {
        let outcome = state.withLock {
            state -> (settled: Bool, continuation: CheckedContinuation<Value, any Error>?, timer: Scheduled<Void>?) in
            let timer = state.timer
            switch state.phase {
            case .idle:
                state.phase = early
            case .waiting(let continuation):
                state.phase = .done
                state.timer = nil
                return (true, continuation, timer)
            case .answered, .cancelled, .done:
                return (false, nil, nil)
            }
            state.timer = nil
            return (true, nil, timer)
        }
        outcome.timer?.cancel()
        outcome.continuation?.resume(with: result)
        return outcome.settled
    }
}

/// Waits for an answer that `start` arranges to deliver through the waiter. Cancelling the task
/// throws `CancellationError` at once (then `onCancel` runs); a task cancelled before the call
/// starts nothing. With a `deadline`, the wait ends with `RPCTimeoutError` when the broker has
/// not answered in time, and `start` runs on the deadline's loop, in the same loop task that
/// sets the timer (one hand-over to the loop for both); without one, `start` runs here.
func awaitReply<Value: Sendable>(
    deadline: ReplyDeadline? = nil, onCancel: @escaping @Sendable () -> Void = {},
    _ start: @escaping (ReplyWaiter<Value>) -> Void
) async throws -> Value {
    try Task.checkCancellation()
    let waiter = ReplyWaiter<Value>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
            guard waiter.install(continuation) else { return }
            guard let deadline else {
                start(waiter)
                return
            }
            deadline.eventLoop.runOnLoop {
                waiter.bound(by: deadline)
                start(waiter)
            }
        }
    } onCancel: {
        waiter.cancel()
        onCancel()
    }
}
