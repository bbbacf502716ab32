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

    @Test("a waiting producer wakes on its grid, never before its message is due and less than an interval after")
    func wakeGrid() {
        let pacing = PerfPacing(rate: 100)
        let interval = pacing.wakeInterval
        #expect(interval == 1_000_000, "1 ms by default")
        #expect(pacing.wakeTime(for: 0) == 0)
        #expect(pacing.wakeTime(for: 1) == interval)
        #expect(pacing.wakeTime(for: interval) == interval, "a due time on the grid is its own wake time")
        #expect(pacing.wakeTime(for: interval + 1) == 2 * interval)
        #expect(pacing.wakeTime(for: 60_025_000_001) == 60_026_000_000)
        for due in stride(from: Int64(0), through: 5_000_000, by: 12_345) {
            let wake = pacing.wakeTime(for: due)
            #expect(wake >= due && wake - due < interval && wake % interval == 0, "due \(due) wakes at \(wake)")
        }
        let coarse = PerfPacing(rate: 100, wakeInterval: 250_000)
        #expect(coarse.wakeTime(for: 250_001) == 500_000)
        let everyMessage = PerfPacing(rate: 100, wakeInterval: 0)
        #expect(everyMessage.wakeTime(for: 1_234_567) == 1_234_567, "without a grid it wakes when the message is due")
        #expect(PerfPacing(rate: 100, wakeInterval: -5).wakeInterval == 0, "a negative interval counts as none")
        #expect(PerfPacing(rate: 100, wakeInterval: .max).wakeInterval == PerfPacing.maximumWakeInterval)
        #expect(PerfPacing(rate: 100, wakeInterval: 10).wakeTime(for: .max - 1) == .max, "a grid point past Int64 saturates")
    }

    @Test("500 producers sharing 10,000 msg/s wake together: once a millisecond, not once per message")
    func sharedWakeTimes() {
        func wakeTimes(interval: Int64) -> (messages: Int, wakes: Int) {
            let pacings = (0..<500).map { PerfPacing(sharing: 10_000, index: $0, of: 500, wakeInterval: interval) }
            var wakes = Set<Int64>()
            var messages = 0
            for pacing in pacings {
                var n = 0
                while pacing.due(n) < 1_000_000_000 {
                    wakes.insert(pacing.wakeTime(for: pacing.due(n)))
                    messages += 1
                    n += 1
                }
            }
            return (messages, wakes.count)
        }
        let grid = wakeTimes(interval: PerfPacing.defaultWakeInterval)
        #expect(grid.messages == 10_000)
        #expect(grid.wakes == 1_001, "the grid's points 0, 1, ..., 1000 ms; \(grid.wakes) wake times for 10,000 messages")
        #expect(wakeTimes(interval: 0).wakes == 10_000, "without a grid: one wake per message")
    }
}
