@testable import HarePerf
import NIOCore
import Testing

/// `hare perf`'s settings, message format and number formats, without a broker.
@Suite("hare perf: configuration and reports")
struct PerfConfigurationTests {
    @Test("the defaults are valid: one producer, one consumer, 16-byte messages")
    func defaults() throws {
        let configuration = PerfConfiguration()
        try configuration.validate()
        try Self.changed { $0.autoAck = true; $0.prefetch = 10; $0.multiAckEvery = 100 }.validate()
        try Self.changed { $0.queue = "q"; $0.routingKey = "q" }.validate()
        try Self.changed { $0.exchange = "amq.direct"; $0.routingKey = "anything" }.validate()
        #expect(configuration.producers == 1 && configuration.consumers == 1 && configuration.messageSize == 16)
    }

    /// A default configuration with one change.
    static func changed(_ change: (inout PerfConfiguration) -> Void) -> PerfConfiguration {
        var configuration = PerfConfiguration()
        change(&configuration)
        return configuration
    }

    static let refusals: [(String, PerfConfiguration)] = [
        ("producers", changed { $0.producers = -1 }),
        ("producers", changed { $0.producers = 0; $0.consumers = 0 }),
        ("size", changed { $0.messageSize = -5 }),
        ("confirm", changed { $0.confirmWindow = -1 }),
        ("prefetch", changed { $0.prefetch = 70_000 }),
        ("rate", changed { $0.rate = .infinity }),
        ("time", changed { $0.duration = 0 }),
        ("count", changed { $0.messageCount = 0 }),
        ("queue", changed { $0.producers = 0 }),
        ("sequential", changed { $0.sequential = true; $0.producers = 2 }),
        ("size", changed { $0.sequential = true; $0.messageSize = 4 }),
        ("rate", changed { $0.rate = 1e-10 }),
        ("pacing-interval", changed { $0.pacingInterval = -1 }),
        ("pacing-interval", changed { $0.pacingInterval = 100_001 }),
        ("multi-ack-every", changed { $0.prefetch = 100; $0.multiAckEvery = 101 }),
        ("routing-key", changed { $0.routingKey = "elsewhere" }),
        ("producer-channels", changed { $0.producerChannels = 0 }),
        ("producer-channels", changed { $0.producerChannels = 2048 }),
        ("consumer-channels", changed { $0.consumerChannels = 0 }),
        ("consumer-channels", changed { $0.consumerChannels = 2048 }),
        ("producer-channels", changed { $0.producers = 100; $0.producerChannels = 1001 }),
        ("consumer-channels", changed { $0.consumers = 1000; $0.consumerChannels = 101 }),
        ("shared-connections", changed { $0.sharedConnections = true; $0.producers = 2; $0.consumers = 3 }),
        ("shared-connections", changed { $0.sharedConnections = true; $0.consumers = 0 }),
        ("shared-connections", changed { $0.sharedConnections = true; $0.producers = 0; $0.queue = "q" }),
        ("sequential", changed { $0.sequential = true; $0.producerChannels = 2 }),
        ("producer-channels", changed { $0.url += "?channel_max=8"; $0.producerChannels = 9 }),
        ("consumer-channels", changed {
            $0.url += "?channel_max=20"; $0.sharedConnections = true; $0.producerChannels = 10; $0.consumerChannels = 11
        }),
        ("consumer-channels", changed {
            $0.url += "?channel_max=10"; $0.sequential = true; $0.consumers = 3; $0.consumerChannels = 4
        }),
    ]

    @Test("each impossible setting is refused with the setting's name", arguments: refusals)
    func refused(setting: String, configuration: PerfConfiguration) {
        #expect(throws: PerfConfigurationError.self) { try configuration.validate() }
        do {
            try configuration.validate()
        } catch {
            #expect(error.setting == setting)
            #expect(error.description.hasPrefix("--\(setting): "))
        }
    }

    @Test("a body of 8 bytes or more carries its send time; a shorter one carries none")
    func timestamps() {
        let allocator = ByteBufferAllocator()
        let body = PerfMessage.body(size: 16, sentAt: 123_456_789, allocator: allocator)
        #expect(body.readableBytes == 16)
        #expect(PerfMessage.sentAt(body) == 123_456_789)
        let short = PerfMessage.body(size: 4, sentAt: 99, allocator: allocator)
        #expect(short.readableBytes == 4)
        #expect(PerfMessage.sentAt(short) == nil)
        #expect(PerfMessage.sentAt(ByteBuffer()) == nil)
    }

    @Test("restamping a body changes only its send time, and never a copy someone still holds")
    func restamp() {
        var body = PerfMessage.body(size: 16, sentAt: 1, allocator: ByteBufferAllocator())
        let sent = body
        PerfMessage.stamp(&body, sentAt: 2)
        #expect(PerfMessage.sentAt(body) == 2 && body.readableBytes == 16)
        #expect(PerfMessage.sentAt(sent) == 1)
        var short = PerfMessage.body(size: 4, sentAt: 0, allocator: ByteBufferAllocator())
        PerfMessage.stamp(&short, sentAt: 7)
        #expect(short.readableBytes == 4 && PerfMessage.sentAt(short) == nil)
    }

    @Test("latency percentiles come from the recorded samples")
    func percentiles() throws {
        let statistics = PerfStatistics()
        for value in 1...100 { statistics.recordLatency(microseconds: UInt64(value * 10)) }
        let latency = try #require(PerfLatency(statistics.takeInterval()))
        #expect(latency.samples == 100)
        #expect((495...505).contains(latency.p50))
        #expect((945...955).contains(latency.p95))
        #expect((985...995).contains(latency.p99))
        #expect(PerfLatency(statistics.takeInterval()) == nil, "the interval starts empty again")
    }

    @Test("the progress line shows rates, latency and CPU")
    func progressLine() {
        let line = PerfProgress(
            elapsed: 3.04, sentRate: 24_510.4, confirmedRate: 0, receivedRate: 1_234_567, latency: nil, cpuPercent: 35.6
        ).line
        #expect(line.hasPrefix("   3.0 s  "), "the time padded to six characters")
        #expect(line.contains("sent 24,510/s"))
        #expect(line.contains("received 1,234,567/s"))
        #expect(line.contains("latency -"))
        #expect(line.hasSuffix("CPU 36%"))
    }
}
