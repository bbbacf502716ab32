import AMQPProtocol
import Foundation
import Hare
import HareTestSupport
import NIOCore
import Testing

extension Resilience.NetworkFaults {
    /// What the slow-consumer run measured.
    struct BackpressureRun: Sendable {
        var published = 0
        var acked = 0
        /// Publishes that took longer than 10 ms (they waited for the socket to drain), and the
        /// longest, in seconds.
        var waited = 0
        var longestWait = 0.0
        /// The most messages published but not yet in the queue (or consumed) at a sample.
        var maxInFlight = 0
        var baselineRSS = 0
        var peakRSS = 0
        var samples = 0

        var growth: Int { peakRSS - baselineRSS }
    }

    static let messageSize = 4096
    static let publishSeconds = 8.0
    /// Concurrent publishing tasks on the one channel (the publisher's loop is then never idle).
    static let publishers = 4
    /// The client's memory may grow by this much during the run (it grew by about 4 MiB).
    static let rssGrowthBound = 150 * 1024 * 1024
    /// How far the publisher may run ahead of the queue: the client's own 1 MiB of unsent bytes
    /// (plus one loop turn's 1 MiB), the kernel's socket buffers (here up to 4 MiB to send and
    /// 32 MiB to receive, net.ipv4.tcp_wmem / tcp_rmem), what the broker holds under its credit
    /// flow. About 17-32 MiB were measured; a client that buffered without limit would be hundreds
    /// of MiB ahead. (Until the publish count was read before the queue's, the time the passive
    /// declare took counted as in flight too: 112 MiB under the thread sanitizer once publishes
    /// stopped waiting for the loop.)
    static let inFlightBound = 96 * 1024 * 1024

    @Test("a slow consumer (prefetch 100, ack after 5 ms) under a 4 KiB publisher as fast as it can for 8 s: client memory stays bounded, publishing is backpressured")
    func slowConsumerFastPublisher() async throws {
        let scenario = "slow consumer, fast publisher 8 s"
        let expected = "RSS growth < 150 MiB, publishes wait for the socket"
        try await FaultBroker.ensureRunning()
        let name = "slow-consumer-\(UUID().uuidString.prefix(8))"
        let queue = "hare-faults-\(name)"
        let connect = { (side: String) in
            try await Hare.Connection.connect(try FaultBroker.parameters(name: "\(name)-\(side)"), rpcTimeout: 30, recovery: .disabled)
        }
        let publisherConnection = try await connect("pub")
        let consumerConnection = try await connect("sub")
        let monitorConnection = try await connect("mon")
        let monitor = try await monitorConnection.channel()
        let run = Locked(BackpressureRun())
        do {
            // Lazy: the broker keeps the backlog on disk, not in its memory.
            try await monitor.queueDeclare(queue: queue, arguments: ["x-queue-mode": .string("lazy")])
            let consumerChannel = try await consumerConnection.channel()
            try await consumerChannel.basicQos(prefetchCount: 100)
            let consumer = try await consumerChannel.basicConsume(queue: queue)
            let consuming = Task {
                for try await delivery in consumer {
                    try await pause(0.005)
                    try await delivery.ack()
                    run.withLock { $0.acked += 1 }
                }
            }
            defer { consuming.cancel() }
            let channel = try await publisherConnection.channel()
            let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: Self.messageSize)

            let baseline = try #require(ProcessMemory.residentBytes())
            run.withLock { $0.baselineRSS = baseline; $0.peakRSS = baseline }
            let start = ContinuousClock.now
            let end = start + .seconds(Self.publishSeconds)
            let publishing = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<Self.publishers {
                        group.addTask {
                            while ContinuousClock.now < end {
                                let before = ContinuousClock.now
                                try await channel.basicPublish(exchange: "", routingKey: queue, body: body)
                                let took = Self.seconds(ContinuousClock.now - before)
                                run.withLock { run in
                                    run.published += 1
                                    if took > 0.01 { run.waited += 1 }
                                    run.longestWait = max(run.longestWait, took)
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            // Samples: the process's memory, and how far the publisher is ahead of the broker.
            while ContinuousClock.now < end + .milliseconds(500) {
                try await pause(0.1)
                let rss = ProcessMemory.residentBytes() ?? 0
                // Published before the queue is asked: what the publisher sends while the passive
                // declare is on its way (a second of it under the thread sanitizer) is not ahead.
                let published = run.value.published
                let ready = Int(try await monitor.queueDeclare(queue: queue, passive: true).messageCount)
                run.withLock { run in
                    run.samples += 1
                    run.peakRSS = max(run.peakRSS, rss)
                    run.maxInFlight = max(run.maxInFlight, published - ready - run.acked)
                }
            }
            try await withTimeout(30, "the publishers to stop") { try await publishing.value }
            let result = run.value
            let seconds = Self.seconds(ContinuousClock.now - start)
            let mib = { (bytes: Int) in String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
            let rate = Double(result.published) / Self.publishSeconds
            let measured = "published \(result.published) (\(Int(rate)) msg/s, \(mib(Int(rate) * Self.messageSize))/s), acked \(result.acked); "
                + "max in flight \(result.maxInFlight) msgs (\(mib(result.maxInFlight * Self.messageSize))); "
                + "\(result.waited) publishes waited > 10 ms, longest \(Int(result.longestWait * 1000)) ms; "
                + "RSS \(mib(result.baselineRSS)) -> peak \(mib(result.peakRSS)), growth \(mib(result.growth)) "
                + "(\(result.samples) samples over \(String(format: "%.1f", seconds)) s)"
            print("slow consumer: \(measured)")

            #expect(result.published >= 1000, "the publisher hardly published: \(measured)")
            #expect(result.acked > 0, "the consumer consumed nothing: \(measured)")
            #expect(result.growth < Self.rssGrowthBound, "client memory grew by \(mib(result.growth)): \(measured)")
            #expect(result.maxInFlight * Self.messageSize < Self.inFlightBound, "the publisher ran ahead of the broker by \(mib(result.maxInFlight * Self.messageSize)): \(measured)")
            // How far ahead of the broker the publisher may be without waiting depends on the
            // kernel's socket buffers (MiBs on either side), so "ahead" alone proves no waiting;
            // the bound that matters is the client's memory, checked above: a client that
            // buffered without limit would hold the whole run (hundreds of MiB).
            #expect(publisherConnection.isOpen && consumerConnection.isOpen)
            FaultReport.print(
                scenario, expected: expected,
                result: result.growth < Self.rssGrowthBound && result.maxInFlight * Self.messageSize < Self.inFlightBound
                    ? "bounded: \(measured)" : "UNBOUNDED: \(measured)"
            )
        } catch {
            FaultReport.print(scenario, expected: expected, result: "FAILED: \(error)")
            _ = try? await monitor.queueDelete(queue: queue)
            for connection in [publisherConnection, consumerConnection, monitorConnection] { try? await connection.close() }
            throw error
        }
        try await monitor.queueDelete(queue: queue)
        for connection in [publisherConnection, consumerConnection, monitorConnection] { try await connection.close() }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
