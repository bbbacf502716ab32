import Dispatch

/// One answer a blocking call waits for: the first `resolve` wins, later ones are ignored.
/// The loop resolves it; the calling thread waits, bounded.
final class Completion<Value>: @unchecked Sendable {
    private let result = Guarded<Unchecked<Result<Value, any Error>?>>(Unchecked(nil))
    private let semaphore = DispatchSemaphore(value: 0)

    /// Sets the answer (from any thread) unless one was set already; returns whether this call
    /// set it.
    @discardableResult
    func resolve(_ outcome: Result<Value, any Error>) -> Bool {
        let boxed = Unchecked(Optional(outcome))
        let first = result.withLock { slot -> Bool in
            guard slot.value == nil else { return false }
            slot = boxed
            return true
        }
        if first { semaphore.signal() }
        return first
    }

    /// Whether an answer (or the timeout) settled the completion already.
    var isSettled: Bool { result.withLock { $0.value != nil } }

    /// Waits for the answer at most `seconds`; throws `BlockingCallTimeout(operation)` after
    /// that, or the error the answer carries. `onTimeout` runs (on the calling thread) when the
    /// timeout, not an answer, settled the completion: the caller forgets what still refers to it.
    func wait(seconds: Double, operation: String, onTimeout: (() -> Void)? = nil) throws -> Value {
        let bounded = seconds.isFinite && seconds < 1e9 ? Swift.max(seconds, 0) : 1e9
        let settled = result.withLock { $0.value != nil }  // a second wait must not sleep
        if !settled, semaphore.wait(timeout: .now() + .nanoseconds(Int(bounded * 1e9))) == .timedOut,
            resolve(.failure(BlockingCallTimeout(operation: operation, seconds: seconds)))
        {
            onTimeout?()
        }
        // Resolved by now: either by the loop or by the timeout above.
        let outcome = result.withLock { $0 }
        switch outcome.value {
        case .success(let value): return value
        case .failure(let error): throw error
        case nil: throw BlockingCallTimeout(operation: operation, seconds: seconds)
        }
    }
}

/// A value a lock protects, whose type is not `Sendable` (closures and results of the
/// application's types): only ever touched under that lock.
struct Unchecked<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
