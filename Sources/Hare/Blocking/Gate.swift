import Dispatch

/// A condition variable for the blocking face: threads wait until a condition they check
/// holds, and `notifyAll()` wakes every waiter to check again. A waiter registers before it
/// checks, so a notification made after the state changed is never lost.
final class Gate: Sendable {
    private struct State {
        var waiters: [UInt64: DispatchSemaphore] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Guarded(State())

    /// Waits until `condition()` holds or `deadline` passes (nil: no deadline); returns whether
    /// the condition holds.
    func wait(until deadline: ContinuousClock.Instant?, for condition: () -> Bool) -> Bool {
        while true {
            let semaphore = DispatchSemaphore(value: 0)
            let id = state.withLock { state in
                state.nextID += 1
                state.waiters[state.nextID] = semaphore
                return state.nextID
            }
            if condition() {
                state.withLock { _ = $0.waiters.removeValue(forKey: id) }
                return true
            }
            if let deadline {
                let remaining = deadline - ContinuousClock.now
                if remaining <= .zero {
                    state.withLock { _ = $0.waiters.removeValue(forKey: id) }
                    return condition()
                }
                let nanoseconds = remaining.components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
                let total = nanoseconds.overflow
                    ? Int.max : Int(nanoseconds.partialValue) + Int(remaining.components.attoseconds / 1_000_000_000)
                if semaphore.wait(timeout: .now() + .nanoseconds(Swift.max(total, 0))) == .timedOut {
                    state.withLock { _ = $0.waiters.removeValue(forKey: id) }
                }
            } else {
                semaphore.wait()
            }
        }
    }

    /// Wakes every waiting thread so it checks its condition again.
    func notifyAll() {
        let waiters = state.withLock { state in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.signal() }
    }
}

extension ContinuousClock.Instant {
    /// `seconds` from now; nil for nil (no deadline). Huge or invalid values mean no deadline.
    static func after(seconds: Double?) -> ContinuousClock.Instant? {
        guard let seconds, seconds.isFinite, seconds < 1e9 else { return nil }
        return ContinuousClock.now + .nanoseconds(Int64(Swift.max(seconds, 0) * 1e9))
    }
}
