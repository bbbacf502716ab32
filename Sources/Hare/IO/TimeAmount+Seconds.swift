import NIOCore

extension TimeAmount {
    /// A duration from seconds as Pika's parameters give them, clamped to what NIO can schedule:
    /// negative and NaN become 0, anything over a century becomes a century. Never traps.
    static func clampedSeconds(_ value: Double) -> TimeAmount {
        guard value.isFinite, value > 0 else { return .zero }
        let century = 100.0 * 365 * 24 * 3600
        return .nanoseconds(Int64(Swift.min(value, century) * 1e9))
    }
}
