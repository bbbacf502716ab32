import Dispatch
import Synchronization
import Testing

@testable import Hare

/// The condition variable every blocking wait sleeps on.
@Suite("Blocking: Gate")
struct BlockingGateTests {
    @Test("a condition that holds returns true at once, even with a deadline in the past")
    func conditionAlreadyHolds() {
        let gate = Gate()
        let start = ContinuousClock.now
        #expect(gate.wait(until: nil) { true })
        #expect(gate.wait(until: .now - .seconds(1)) { true })
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test("a condition that never holds returns false once the deadline passed, not before")
    func deadlinePasses() {
        let gate = Gate()
        let start = ContinuousClock.now
        let checks = Atomic<Int>(0)
        let held = gate.wait(until: .after(seconds: 0.2)) {
            checks.add(1, ordering: .relaxed)
            return false
        }
        let waited = ContinuousClock.now - start
        #expect(!held)
        #expect(waited >= .milliseconds(200))
        #expect(waited < .seconds(5))
        #expect(checks.load(ordering: .relaxed) >= 1)
    }

    @Test("notifyAll wakes a waiter on another thread, which sees the new state")
    func notifyWakesWaiter() async throws {
        let gate = Gate()
        let flag = Atomic<Bool>(false)
        let done = DispatchSemaphore(value: 0)
        let result = Atomic<Int>(0)  // 0: still waiting, 1: held, 2: timed out
        DispatchQueue.global().async {
            let held = gate.wait(until: .after(seconds: 30)) { flag.load(ordering: .acquiring) }
            result.store(held ? 1 : 2, ordering: .releasing)
            done.signal()
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(result.load(ordering: .acquiring) == 0, "the waiter returned before the condition held")
        let start = ContinuousClock.now
        flag.store(true, ordering: .releasing)
        gate.notifyAll()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(result.load(ordering: .acquiring) == 1)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("a notification made between the state change and the wait is not lost")
    func notificationBeforeSleepIsKept() {
        let gate = Gate()
        let checks = Atomic<Int>(0)
        let start = ContinuousClock.now
        // The first check fails and notifies (as another thread would, right after changing the
        // state); the waiter must check again instead of sleeping until the deadline.
        let held = gate.wait(until: .after(seconds: 10)) {
            if checks.add(1, ordering: .relaxed).newValue == 1 {
                gate.notifyAll()
                return false
            }
            return true
        }
        #expect(held)
        #expect(checks.load(ordering: .relaxed) == 2)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("after(seconds:) gives no deadline for nil, infinity, NaN and huge values")
    func deadlines() {
        #expect(ContinuousClock.Instant.after(seconds: nil) == nil)
        #expect(ContinuousClock.Instant.after(seconds: .infinity) == nil)
        #expect(ContinuousClock.Instant.after(seconds: .nan) == nil)
        #expect(ContinuousClock.Instant.after(seconds: 1e10) == nil)
        let now = ContinuousClock.now
        let soon = ContinuousClock.Instant.after(seconds: -5)
        #expect(soon.map { $0 >= now && $0 - now < .seconds(1) } == true)
        let later = ContinuousClock.Instant.after(seconds: 2)
        #expect(later.map { $0 - now >= .seconds(2) && $0 - now < .seconds(3) } == true)
    }
}
