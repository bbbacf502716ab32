import Hare
import HarePerf
import Testing

extension Integration {
    /// `hare perf` runs against the real broker: counts, confirms, acks, latency, stopping.
    @Suite("hare perf against RabbitMQ")
    struct PerfRunTests {
        func configuration(_ change: (inout PerfConfiguration) -> Void) -> PerfConfiguration {
            var configuration = PerfConfiguration()
            configuration.url = Broker.url
            change(&configuration)
            return configuration
        }

        @Test("a counted run with confirms and multiple acks delivers and confirms every message")
        func countedRun() async throws {
            let run = PerfRun(configuration: configuration {
                $0.messageCount = 5000
                $0.confirmWindow = 100
                $0.prefetch = 200
                $0.multiAckEvery = 50
                $0.producers = 2
            })
            let summary = try await withTimeout(60, "a perf run of 5000 messages") { try await run.run { _ in } }
            #expect(summary.counts.sent == 5000)
            #expect(summary.counts.confirmed == 5000)
            #expect(summary.counts.nacked == 0)
            #expect(summary.counts.received == 5000)
            #expect(summary.latency?.samples == 5000)
            #expect(summary.clientCPUSeconds > 0)
            #expect(summary.peakResidentBytes > 0)
            #expect(!summary.interrupted)
            #expect(summary.queue.hasPrefix("amq.gen-"))
        }

        @Test("sequential round trips keep one message in flight and measure each")
        func sequentialRun() async throws {
            let run = PerfRun(configuration: configuration {
                $0.messageCount = 300
                $0.sequential = true
            })
            let summary = try await withTimeout(60, "300 round trips") { try await run.run { _ in } }
            #expect(summary.counts.sent == 300)
            #expect(summary.counts.received == 300)
            #expect(summary.latency?.samples == 300)
        }

        @Test("requestStop (Ctrl-C) ends an endless run with the summary so far, nothing in flight lost")
        func stoppedRun() async throws {
            let run = PerfRun(configuration: configuration { $0.rate = 2000 })
            let lines = Locked<[String]>([])
            let stopper = Task {
                try await pause(2.5)
                run.requestStop()
            }
            let summary = try await withTimeout(30, "a stopped perf run") {
                try await run.run { progress in lines.withLock { $0.append(progress.line) } }
            }
            try await stopper.value
            #expect(summary.interrupted)
            #expect(summary.counts.sent > 1000 && summary.counts.sent < 10_000, "sent \(summary.counts.sent) at 2000/s")
            #expect(summary.counts.received == summary.counts.sent)
            #expect(lines.value.count >= 2)
            #expect(lines.value.first?.contains("sent ") == true)
        }

        @Test("Ctrl-C on an unlimited run with confirms ends promptly, with the summary so far")
        func stoppedUnlimitedRun() async throws {
            let run = PerfRun(configuration: configuration {
                $0.producers = 2
                $0.confirmWindow = 1000
            })
            let stopped = Locked<ContinuousClock.Instant?>(nil)
            let stopper = Task {
                try await pause(2)
                stopped.withLock { $0 = .now }
                run.requestStop()
            }
            let summary = try await withTimeout(60, "a stopped unlimited perf run") { try await run.run { _ in } }
            let stoppedAt = try #require(try await { try await stopper.value; return stopped.value }())
            let stopping = ContinuousClock.now - stoppedAt
            #expect(stopping < .seconds(15), "stopping took \(stopping)")
            #expect(summary.interrupted)
            #expect(summary.counts.sent > 0)
            #expect(summary.counts.confirmed + summary.counts.nacked <= summary.counts.sent)
            #expect(summary.counts.received <= summary.counts.sent)
            #expect(summary.producerError == nil)
        }

        @Test("a consume-only run drains a named, pre-filled queue")
        func consumeOnly() async throws {
            let queue = Names.unique("hare-test-perf")
            let fill = PerfRun(configuration: configuration {
                $0.queue = queue
                $0.consumers = 0
                $0.messageCount = 3000
                $0.confirmWindow = 500
            })
            let filled = try await withTimeout(60, "filling the queue") { try await fill.run { _ in } }
            #expect(filled.counts.confirmed == 3000)
            let drain = PerfRun(configuration: configuration {
                $0.queue = queue
                $0.producers = 0
                $0.messageCount = 3000
                $0.prefetch = 1000
                $0.multiAckEvery = 100
            })
            let drained = try await withTimeout(60, "draining the queue") { try await drain.run { _ in } }
            #expect(drained.counts.received == 3000)
            #expect(drained.counts.sent == 0)
            let connection = try await Hare.Connection.connect(try Broker.parameters())
            let channel = try await connection.channel()
            #expect(try await channel.queueDeclare(queue: queue, passive: true).messageCount == 0)
            _ = try await channel.queueDelete(queue: queue)
            try await connection.close()
        }
    }
}
