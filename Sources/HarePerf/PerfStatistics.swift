import Histogram
import NIOConcurrencyHelpers
import Synchronization

/// Counters and latencies of a run, shared by its producers, consumers and reporter.
public final class PerfStatistics: Sendable {
    /// Messages handed to the connection.
    public let sent = Atomic<Int>(0)
    /// Messages the broker acked (confirm mode).
    public let confirmed = Atomic<Int>(0)
    /// Messages the broker nacked (confirm mode).
    public let nacked = Atomic<Int>(0)
    /// Mandatory messages the broker returned.
    public let returned = Atomic<Int>(0)
    /// Messages consumed.
    public let received = Atomic<Int>(0)
    /// Producers that stopped on an error.
    public let failedProducers = Atomic<Int>(0)
    /// When the latest delivery within the run's message count arrived, in `NIODeadline` uptime
    /// nanoseconds (0 before any): where a counted run's receiving ends, to the message, however
    /// late the reporter next looks at the counters.
    public let lastCountedDelivery = Atomic<UInt64>(0)
    /// The first error that stopped a producer.
    private let firstError = NIOLockedValueBox<String?>(nil)
    /// Latencies (microseconds) since the last `takeInterval()`.
    private let interval = NIOLockedValueBox(PerfStatistics.makeHistogram())

    /// An empty latency histogram: 1 µs to 1 hour, three significant digits.
    public static func makeHistogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    }

    /// Creates zeroed statistics.
    public init() {}

    /// A producer stopped on `error`.
    public func producerFailed(_ error: any Error) {
        firstError.withLockedValue { if $0 == nil { $0 = "\(error)" } }
        failedProducers.add(1, ordering: .relaxed)
    }

    /// The first error that stopped a producer, if one did.
    public var producerError: String? { firstError.withLockedValue { $0 } }

    /// Records one message's latency in microseconds.
    public func recordLatency(microseconds: UInt64) {
        let value = Swift.min(Swift.max(microseconds, 1), 3_600_000_000)
        interval.withLockedValue { _ = $0.record(value) }
    }

    /// The latencies recorded since the previous call, and a fresh histogram in their place.
    public func takeInterval() -> Histogram<UInt64> {
        interval.withLockedValue { histogram in
            let taken = histogram
            histogram.reset()
            return taken
        }
    }

    /// The counters now.
    public var counts: PerfCounts {
        PerfCounts(
            sent: sent.load(ordering: .relaxed), confirmed: confirmed.load(ordering: .relaxed),
            nacked: nacked.load(ordering: .relaxed), returned: returned.load(ordering: .relaxed),
            received: received.load(ordering: .relaxed)
        )
    }
}

/// A snapshot of a run's counters.
public struct PerfCounts: Sendable, Codable, Equatable {
    public var sent: Int
    public var confirmed: Int
    public var nacked: Int
    public var returned: Int
    public var received: Int

    /// Creates a snapshot.
    public init(sent: Int = 0, confirmed: Int = 0, nacked: Int = 0, returned: Int = 0, received: Int = 0) {
        self.sent = sent
        self.confirmed = confirmed
        self.nacked = nacked
        self.returned = returned
        self.received = received
    }

    /// The counts since `earlier`.
    public func since(_ earlier: PerfCounts) -> PerfCounts {
        PerfCounts(
            sent: sent - earlier.sent, confirmed: confirmed - earlier.confirmed, nacked: nacked - earlier.nacked,
            returned: returned - earlier.returned, received: received - earlier.received
        )
    }
}
