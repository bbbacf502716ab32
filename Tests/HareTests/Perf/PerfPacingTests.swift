@testable import HarePerf
import Testing

/// The fixed-rate schedule of `hare perf` producers: exact totals, no bursts across producers.
@Suite("hare perf: pacing")
struct PerfPacingTests {
    @Test("500 producers sharing 10,000 msg/s publish 20/s each, evenly interleaved: one every 100 µs in all")
    func interleaved() {
        let producers = 500
        let pacings = (0..<producers).map { PerfPacing(sharing: 10_000, index: $0, of: producers) }
        #expect(pacings.allSatisfy { $0.rate == 20 })
        // Every message due within the first second, from all producers.
        var due: [Int64] = []
        for pacing in pacings {
            var n = 0
            while pacing.due(n) < 1_000_000_000 {
                due.append(pacing.due(n))
                n += 1
            }
        }
        #expect(due.count == 10_000, "10,000 messages in the first second")
        due.sort()
        let gaps = zip(due.dropFirst(), due).map { $0 - $1 }
        #expect(
            gaps.allSatisfy { (99_000...101_000).contains($0) },
            "largest gap \(gaps.max() ?? -1) ns, smallest \(gaps.min() ?? -1) ns"
        )
    }

    @Test("the schedule counts from the start: message n of a producer is due at (n + phase) / rate, without drift")
    func noDrift() {
        let pacing = PerfPacing(rate: 20, phase: 0.5)
        #expect(pacing.due(0) == 25_000_000)
        #expect(pacing.due(1) == 75_000_000)
        #expect(pacing.due(1_200) == 60_025_000_000, "after a minute still on the minute's schedule")
        #expect(PerfPacing(rate: 0).due(1_000) == 0, "no limit: always due")
        #expect(PerfPacing(sharing: 100, index: 3, of: 1).phase == 0, "an index out of range is clamped")
        #expect(PerfPacing(sharing: 100, index: 0, of: 0).rate == 100, "no producers counts as one")
    }
}
