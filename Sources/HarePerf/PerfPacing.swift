/// When a fixed-rate producer's messages are due: message `n` at `(n + phase) / rate` seconds
/// after the run's start. Each time comes from the start, not from the previous message, so
/// timers that fire late never add up to drift; the phase (0..<1 of a period) staggers producers
/// that share a rate, so that together they publish evenly instead of all at the same instant.
struct PerfPacing: Sendable, Equatable {
    /// Messages per second; 0: no limit.
    let rate: Double
    /// Where in its period this producer publishes, 0..<1.
    let phase: Double

    /// Producer `index` of `producers` sharing `totalRate` equally.
    init(sharing totalRate: Double, index: Int, of producers: Int) {
        let producers = Swift.max(producers, 1)
        rate = totalRate / Double(producers)
        phase = Double(Swift.min(Swift.max(index, 0), producers - 1)) / Double(producers)
    }

    /// A producer at `rate` with `phase` (clamped to 0...1).
    init(rate: Double, phase: Double = 0) {
        self.rate = rate
        self.phase = Swift.min(Swift.max(phase, 0), 1)
    }

    /// Nanoseconds after the start at which message `n` (from 0) is due; 0 without a limit.
    func due(_ n: Int) -> Int64 {
        guard rate > 0 else { return 0 }
        return Int64(Swift.min(((Double(n) + phase) / rate * 1e9).rounded(), 1e18))
    }
}
