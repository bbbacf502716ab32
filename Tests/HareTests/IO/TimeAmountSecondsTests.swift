import NIOCore
import Testing

@testable import Hare

/// Seconds from parameters become NIO durations without ever trapping.
@Suite("TimeAmount from seconds")
struct TimeAmountSecondsTests {
    @Test("ordinary values convert to nanoseconds")
    func ordinary() {
        #expect(TimeAmount.clampedSeconds(1.5) == .milliseconds(1500))
        #expect(TimeAmount.clampedSeconds(0.001) == .milliseconds(1))
    }

    @Test("negative, zero, NaN and infinite values never trap", arguments: [-1.0, 0, -.infinity, .nan])
    func degenerate(_ value: Double) {
        #expect(TimeAmount.clampedSeconds(value) == .zero)
    }

    @Test("huge values are capped at a century", arguments: [1e12, 1e300, .infinity])
    func huge(_ value: Double) {
        let expected = TimeAmount.nanoseconds(Int64(100.0 * 365 * 24 * 3600 * 1e9))
        #expect(TimeAmount.clampedSeconds(value) == (value.isFinite ? expected : .zero))
    }
}
