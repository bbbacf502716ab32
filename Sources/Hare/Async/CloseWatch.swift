import NIOCore

/// The end of a connection or a channel, awaited from any task: `wait()` returns why it ended,
/// at once when it already has.
final class CloseWatch: Sendable {
    private struct State {
        var reason: (any Error)?
        var waiters: [UInt64: CheckedContinuation<any Error, Never>] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Guarded(State())

    /// Why it ended, or nil while it has not.
    var reason: (any Error)? { state.withLock { $0.reason } }

    /// Records the end (the first call counts) and wakes every waiter.
    func finish(_ reason: any Error) {
        let waiters = state.withLock { state -> [CheckedContinuation<any Error, Never>] in
            guard state.reason == nil else { return [] }
            state.reason = reason
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: reason) }
    }

    /// Waits for the end. With `cancellable`, a cancelled task gets `CancellationError` as the
    /// answer at once; with a `deadline`, the answer is `RPCTimeoutError` once it has passed.
    func wait(cancellable: Bool = true, deadline: ReplyDeadline? = nil) async -> any Error {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        var timer: Scheduled<Void>?
        defer { timer?.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<any Error, Never>) in
                let now = state.withLock { state -> (any Error)? in
                    if let reason = state.reason { return reason }
                    if cancellable && Task.isCancelled { return CancellationError() }
                    state.waiters[id] = continuation
                    return nil
                }
                if let now {
                    continuation.resume(returning: now)
                } else if let deadline {
                    // Armed once the waiter is in place: it finds it, or finds it gone (answered).
                    timer = deadline.schedule { [self] in
                        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
                        waiter?.resume(returning: deadline.error)
                    }
                }
            }
        } onCancel: {
            guard cancellable else { return }
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: CancellationError())
        }
    }
}
