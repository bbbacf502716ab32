import Histogram

/// Latency percentiles in microseconds, from a histogram (nil when it holds no sample).
public struct PerfLatency: Sendable, Codable, Equatable {
    public var samples: UInt64
    public var p50: UInt64
    public var p95: UInt64
    public var p99: UInt64
    public var max: UInt64

    /// The percentiles of `histogram`; nil when it is empty.
    public init?(_ histogram: Histogram<UInt64>) {
        guard histogram.totalCount > 0 else { return nil }
        samples = histogram.totalCount
        p50 = histogram.valueAtPercentile(50)
        p95 = histogram.valueAtPercentile(95)
        p99 = histogram.valueAtPercentile(99)
        max = histogram.max
    }

    /// "p50 210 µs  p95 450 µs  p99 800 µs".
    public var text: String {
        "p50 \(PerfFormat.microseconds(p50))  p95 \(PerfFormat.microseconds(p95))  p99 \(PerfFormat.microseconds(p99))"
    }
}

/// One second of a run, as the progress line shows it.
public struct PerfProgress: Sendable, Equatable {
    /// Seconds since the start.
    public var elapsed: Double
    /// Per second over the last interval.
    public var sentRate: Double
    public var confirmedRate: Double
    public var receivedRate: Double
    /// The interval's latencies.
    public var latency: PerfLatency?
    /// Client CPU over the interval, in percent of one core.
    public var cpuPercent: Double

    /// The progress line.
    public var line: String {
        var parts = [
            PerfFormat.fixed(elapsed, places: 1, width: 6) + " s",
            "sent \(PerfFormat.rate(sentRate))",
            "confirmed \(PerfFormat.rate(confirmedRate))",
            "received \(PerfFormat.rate(receivedRate))",
        ]
        parts.append(latency.map { "latency \($0.text)" } ?? "latency -")
        parts.append("CPU \(PerfFormat.fixed(cpuPercent, places: 0))%")
        return parts.joined(separator: "  ")
    }
}

/// The end of a run: totals, averages, latency and what the client cost.
public struct PerfSummary: Sendable, Codable, Equatable {
    /// The run's settings, with the URL's password replaced by `<redacted>`.
    public var configuration: PerfConfiguration
    /// The queue the run used.
    public var queue: String
    /// Seconds from the first publish (or consume) until publishing was complete: the count
    /// reached or the run stopped, the confirms in, and a synchronous round trip per producer
    /// done (the rates are over this time; deliveries drained after it still count). A run at a
    /// fixed rate that ends on its run time or Ctrl-C counts only until the producers stopped:
    /// they kept to the rate until then.
    public var seconds: Double
    public var counts: PerfCounts
    /// Messages per second over the whole run.
    public var sentRate: Double
    public var confirmedRate: Double
    public var receivedRate: Double
    /// Latency over the whole run (nil without samples).
    public var latency: PerfLatency?
    /// User plus system CPU seconds of the client process.
    public var clientCPUSeconds: Double
    /// Client CPU seconds per 100,000 messages (sent or received, whichever is more).
    public var clientCPUSecondsPer100k: Double
    /// Peak resident memory of the client process, bytes.
    public var peakResidentBytes: Int
    /// The most threads the client process had, sampled every second and at the end (from
    /// /proc/self/status); nil where that cannot be read (not Linux).
    public var threads: Int?
    /// Connections the producers and consumers used (the one that declares the queue aside).
    public var connections: Int
    /// Channels of the producers and consumers, one each.
    public var channels: Int
    /// Ctrl-C ended the run early.
    public var interrupted: Bool
    /// What stopped a producer, if anything did.
    public var producerError: String?

    /// The summary for people.
    public var text: String {
        var lines = [
            "summary: \(PerfFormat.fixed(seconds, places: 2)) s on queue '\(queue)'\(interrupted ? " (interrupted)" : "")",
            "  sent      \(counts.sent) (\(PerfFormat.rate(sentRate)))",
        ]
        if configuration.confirmWindow > 0 {
            lines.append("  confirmed \(counts.confirmed) (\(PerfFormat.rate(confirmedRate))), nacked \(counts.nacked)")
        }
        lines.append("  received  \(counts.received) (\(PerfFormat.rate(receivedRate)))")
        if counts.returned > 0 { lines.append("  returned  \(counts.returned)") }
        if let producerError { lines.append("  error     a producer stopped: \(producerError)") }
        lines.append("  latency   " + (latency.map { "\($0.text)  max \(PerfFormat.microseconds($0.max))" } ?? "-"))
        lines.append(
            "  client    \(PerfFormat.fixed(clientCPUSeconds, places: 2)) CPU s, "
                + "\(PerfFormat.fixed(clientCPUSecondsPer100k, places: 3)) CPU s per 100k messages, "
                + "peak RSS \(PerfFormat.fixed(Double(peakResidentBytes) / 1_000_000, places: 1)) MB"
                + (threads.map { ", \($0) threads" } ?? "")
        )
        lines.append("  shape     \(connections) connections, \(channels) channels")
        return lines.joined(separator: "\n")
    }
}

/// Number formats of the reports.
enum PerfFormat {
    /// "24,510/s".
    static func rate(_ perSecond: Double) -> String {
        "\(grouped(Int(perSecond.rounded())))/s"
    }

    /// "850 µs", "12.3 ms", "1.20 s".
    static func microseconds(_ value: UInt64) -> String {
        switch value {
        case ..<1000: "\(value) µs"
        case ..<1_000_000: "\(fixed(Double(value) / 1000, places: 1)) ms"
        default: "\(fixed(Double(value) / 1_000_000, places: 2)) s"
        }
    }

    /// `value` rounded to `places` decimals (0 to 3), right-aligned in `width` characters:
    /// what `printf`'s `%W.Pf` prints, down to the sign of a negative value that rounds to zero
    /// and a tie rounded to even. Written here because Foundation's `String(format:)` would
    /// load Foundation and ICU into every `hare` process (3 ms of CPU and 6 MB at start-up).
    /// From 1e15 on (never a figure of a report) it prints Swift's description of the value.
    static func fixed(_ value: Double, places: Int, width: Int = 0) -> String {
        let places = min(max(places, 0), 3)
        let text: String
        if value.isNaN {
            text = "nan"
        } else if value.magnitude >= 1e15 {
            text = value.isInfinite ? (value < 0 ? "-inf" : "inf") : "\(value)"
        } else {
            var scale: UInt64 = 1
            for _ in 0..<places { scale *= 10 }
            let magnitude = value.magnitude
            let whole = magnitude.rounded(.down)
            let fraction = magnitude - whole  // exact
            // The scaled fraction as a rounded product and that rounding's exact error (a fused
            // multiply-add), so the rounding below decides on the exact value, as printf does.
            let product = fraction * Double(scale)
            let error = (-product).addingProduct(fraction, Double(scale))
            let digits = product.rounded(.down)
            // A non-zero `beyond` is a multiple of the product's ulp, larger than any `error`.
            let beyond = (product - digits) - 0.5
            var units = UInt64(whole) * scale + UInt64(digits)
            if beyond > 0 || (beyond == 0 && (error > 0 || (error == 0 && units % 2 == 1))) {
                units += 1
            }
            var digitsText = (value.sign == .minus ? "-" : "") + String(units / scale)
            if places > 0 {
                let decimals = String(units % scale)
                digitsText += "." + String(repeating: "0", count: places - decimals.count) + decimals
            }
            text = digitsText
        }
        return text.count < width ? String(repeating: " ", count: width - text.count) + text : text
    }

    /// 1234567 → "1,234,567".
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }
}
