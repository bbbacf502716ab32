/// When a fixed-rate producer's messages are due: message `n` at `(n + phase) / rate` seconds
/// after the run's start. Each time comes from the start, not from the previous message, so
/// timers that fire late never add up to drift; the phase (0..<1 of a period) staggers producers
/// that share a rate, so that their messages fall due evenly spread, not all at the same instant
/// (they leave on the wake grid below, so evenly down to its interval).
///
/// A producer waiting for its next message wakes on a grid of `wakeInterval` from the start
/// (`wakeTime(for:)`), the same for every producer, and sends everything due by then: a loop
/// wakes at most once per interval however many producers it carries and however high the
/// rate. Waking for every message cost a timer, a wake-up and a write per message on both sides
/// (about 60 µs of CPU a message at 10,000 msg/s here). A message leaves at most one interval
/// after it is due; its latency is measured from when it leaves, so the grid does not show in
/// it, though messages leaving together queue behind each other in the broker.
struct PerfPacing: Sendable, Equatable {
    /// The grid's default interval: 1 ms.
    static let defaultWakeInterval: Int64 = 1_000_000
    /// The longest interval taken: 1 s (a longer one is cut to it).
    static let maximumWakeInterval: Int64 = 1_000_000_000

    /// Messages per second; 0: no limit.
    let rate: Double
    /// Where in its period this producer publishes, 0..<1.
    let phase: Double
    /// The grid a waiting producer wakes on, in nanoseconds; 0: it wakes for every message.
    let wakeInterval: Int64

    /// Producer `index` of `producers` sharing `totalRate` equally.
    init(sharing totalRate: Double, index: Int, of producers: Int, wakeInterval: Int64 = Self.defaultWakeInterval) {
        let producers = Swift.max(producers, 1)
        self.init(
            rate: totalRate / Double(producers), phase: Double(Swift.min(Swift.max(index, 0), producers - 1)) / Double(producers),
            wakeInterval: wakeInterval
        )
    }

    /// A producer at `rate` with `phase` (clamped to 0...1).
    init(rate: Double, phase: Double = 0, wakeInterval: Int64 = Self.defaultWakeInterval) {
        self.rate = rate
        self.phase = Swift.min(Swift.max(phase, 0), 1)
        self.wakeInterval = Swift.min(Swift.max(wakeInterval, 0), Self.maximumWakeInterval)
    }

    /// Nanoseconds after the start at which message `n` (from 0) is due; 0 without a limit.
    func due(_ n: Int) -> Int64 {
        guard rate > 0 else { return 0 }
        return Int64(Swift.min(((Double(n) + phase) / rate * 1e9).rounded(), 1e18))
    }

    /// Nanoseconds after the start at which a producer whose next message is due at `due`
    /// wakes: the first point of the `wakeInterval` grid not before it (`due` itself without a
    /// grid; `Int64.max` when the grid's point lies beyond it).
    func wakeTime(for due: Int64) -> Int64 {
        guard due > 0, wakeInterval > 0 else { return due }
        let rest = due % wakeInterval
        guard rest > 0 else { return due }
        let (wake, overflow) = due.addingReportingOverflow(wakeInterval - rest)
        return overflow ? .max : wake
    }
}
