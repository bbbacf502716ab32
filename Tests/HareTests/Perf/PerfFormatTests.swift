import Foundation
@testable import HarePerf
import Testing

/// `hare perf` formats its numbers without Foundation; these tests hold its output to what
/// `printf` (through Foundation's `String(format:)`, here in the tests only) prints.
@Suite("hare perf: number formats")
struct PerfFormatTests {
    /// Values across the magnitudes a report shows, both signs, with ties at every number of
    /// places and values a binary fraction's last bits put on either side of one.
    static let samples: [Double] = {
        var values: [Double] = [0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 28.635, 1.005, 2.675, 99.95, 999_999.5, 12_345_678.9]
        for step in 0..<4_000 {
            let value = Double(step) * 0.0137 - 20
            values += [value, value * 12_345.678, value / 3_000, Double(step) / 8 - 100, Double(step) / 1000 - 2]
        }
        return values
    }()

    @Test("fixed(_:places:width:) prints what printf's %W.Pf prints", arguments: [0, 1, 2, 3])
    func fixedMatchesPrintf(places: Int) {
        for value in Self.samples {
            #expect(PerfFormat.fixed(value, places: places) == String(format: "%.\(places)f", value), "\(value)")
            #expect(PerfFormat.fixed(value, places: places, width: 9) == String(format: "%9.\(places)f", value), "\(value)")
        }
    }

    @Test("values a fixed format cannot hold are still printed")
    func nonFinite() {
        #expect(PerfFormat.fixed(.nan, places: 1) == "nan")
        #expect(PerfFormat.fixed(.infinity, places: 1, width: 5) == "  inf")
        #expect(PerfFormat.fixed(-.infinity, places: 0) == "-inf")
        #expect(PerfFormat.fixed(1e300, places: 2) == "\(1e300)")
    }

    @Test("latencies are shown in µs, ms or s")
    func microseconds() {
        #expect(PerfFormat.microseconds(850) == "850 µs")
        #expect(PerfFormat.microseconds(12_345) == "12.3 ms")
        #expect(PerfFormat.microseconds(1_204_000) == "1.20 s")
    }
}
