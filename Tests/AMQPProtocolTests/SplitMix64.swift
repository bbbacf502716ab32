import Foundation

/// A small seeded random number generator (SplitMix64), so that a failing property test can be
/// replayed exactly: every random test draws from `TestSeed.generator(for:)`.
struct SplitMix64: RandomNumberGenerator {
    private(set) var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The seed of this test run: `HARE_TEST_SEED` (decimal, or hex with `0x`) when it is set,
/// otherwise a fresh random seed. Every failure message of a random test names it.
enum TestSeed {
    static let value: UInt64 = {
        if let text = ProcessInfo.processInfo.environment["HARE_TEST_SEED"] {
            let parsed = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
            if let parsed { return parsed }
        }
        var system = SystemRandomNumberGenerator()
        return system.next()
    }()

    /// How to replay this run, for failure messages.
    static var replay: String { "seed 0x\(String(value, radix: 16)); replay with HARE_TEST_SEED=0x\(String(value, radix: 16))" }

    /// A generator for one test; the test's name keeps its draws independent of other tests.
    static func generator(for test: String) -> SplitMix64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for byte in test.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return SplitMix64(seed: value ^ hash)
    }
}
