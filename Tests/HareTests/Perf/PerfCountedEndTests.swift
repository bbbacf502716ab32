@testable import HarePerf
import NIOCore
import Testing

/// Where a `hare perf` run that reached its message count ends: at the last thing it waited
/// for, as that happened, not when the reporter next looked.
@Suite("hare perf: the end of a counted run")
struct PerfCountedEndTests {
    let base = NIODeadline.uptimeNanoseconds(1_000_000_000)

    @Test("the latest producer round trip ends a run without consumers")
    func latestProducer() {
        let ends: [NIODeadline?] = [base + .milliseconds(3), base + .milliseconds(7), base + .milliseconds(5)]
        #expect(PerfRun.countedEnd(producerEnds: ends, hasConsumers: false, lastDelivery: 0) == base + .milliseconds(7))
    }

    @Test("a last delivery after every round trip ends the run there, and one before does not")
    func lastDelivery() {
        let ends: [NIODeadline?] = [base + .milliseconds(4)]
        let later = (base + .milliseconds(9)).uptimeNanoseconds
        let earlier = (base + .milliseconds(2)).uptimeNanoseconds
        #expect(PerfRun.countedEnd(producerEnds: ends, hasConsumers: true, lastDelivery: later) == base + .milliseconds(9))
        #expect(PerfRun.countedEnd(producerEnds: ends, hasConsumers: true, lastDelivery: earlier) == base + .milliseconds(4))
        #expect(PerfRun.countedEnd(producerEnds: [], hasConsumers: true, lastDelivery: later) == base + .milliseconds(9))
    }

    @Test("a missing end (a round trip that failed, no delivery recorded) leaves the run to the clock")
    func missing() {
        #expect(PerfRun.countedEnd(producerEnds: [base, nil], hasConsumers: false, lastDelivery: 0) == nil)
        #expect(PerfRun.countedEnd(producerEnds: [base], hasConsumers: true, lastDelivery: 0) == nil)
    }
}
