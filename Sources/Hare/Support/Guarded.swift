import NIOConcurrencyHelpers

/// A value shared between threads, every access under one lock.
///
/// It stands in for the standard library's `Synchronization.Mutex`, with the same `withLock`
/// shape, for one reason: on Linux `Mutex` parks on a futex inside the uninstrumented runtime, so
/// the thread sanitizer sees no ordering between two critical sections and reports every guarded
/// access as a race. This box locks a pthread mutex (through `NIOLockedValueBox`), which the
/// sanitizer understands, so `swift test --sanitize=thread` reports only real races.
///
/// The value need not be `Sendable`: it is only ever read or written under the lock, which is
/// what makes the box `Sendable`. Callers must not let a non-`Sendable` value escape the closure
/// to another thread.
struct Guarded<Value>: @unchecked Sendable {
    private let box: NIOLockedValueBox<Value>

    /// Wraps `value`.
    init(_ value: Value) {
        box = NIOLockedValueBox(value)
    }

    /// Runs `body` with the value locked and returns what it returns.
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try box.withLockedValue(body)
    }
}
