import Hare
@testable import HarePerf
import Testing
import HareTestSupport

extension Integration {
    /// `hare perf` runs against the real broker: counts, confirms, acks, latency, stopping.
    @Suite("hare perf against RabbitMQ")
    struct PerfRunTests {
        @Test("a counted run with confirms and multiple acks delivers and confirms every message")
        func countedRun() async throws {
            let run = PerfRun(configuration: perfConfiguration {
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
            #expect(summary.configuration.url == URLParameters.redactingPassword(in: Broker.url), "no password in the report")
        }

        @Test("a counted run's time ends with its last message, not when the reporter next looks", arguments: [0, 1])
        func countedRunEndsOnTime(consumers: Int) async throws {
            // The reporter looks every 3 s (and once at the start, before the messages are out);
            // 2000 messages take milliseconds, well under a second even under the thread
            // sanitizer. Timed by the reporter's look, the run would last 3 s.
            let run = PerfRun(configuration: perfConfiguration {
                $0.messageCount = 2000
                $0.confirmWindow = consumers == 0 ? 0 : 200
                $0.consumers = consumers
            }, pollInterval: .seconds(3))
            let summary = try await withTimeout(60, "a perf run of 2000 messages") { try await run.run { _ in } }
            #expect(summary.counts.sent == 2000)
            #expect(summary.counts.received == 2000 * consumers)
            #expect(summary.seconds > 0 && summary.seconds < 1.5, "\(summary.seconds) s for 2000 messages")
        }

        @Test("sequential round trips keep one message in flight and measure each")
        func sequentialRun() async throws {
            let run = PerfRun(configuration: perfConfiguration {
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
            let run = PerfRun(configuration: perfConfiguration { $0.rate = 2000 })
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
            let run = PerfRun(configuration: perfConfiguration {
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

        @Test("2 shared connections x (3 publishing + 3 consuming channels) at a fixed rate: every message arrives, on time")
        func channelsOnSharedConnections() async throws {
            let run = PerfRun(configuration: perfConfiguration {
                $0.producers = 2
                $0.producerChannels = 3
                $0.consumers = 2
                $0.consumerChannels = 3
                $0.sharedConnections = true
                $0.rate = 1200
                $0.duration = 3
                $0.prefetch = 50
            })
            let summary = try await withTimeout(60, "a shared-connection perf run") { try await run.run { _ in } }
            #expect(summary.connections == 2)
            #expect(summary.channels == 12)
            #expect(summary.producerError == nil)
            #expect(summary.counts.received == summary.counts.sent)
            #expect(summary.counts.nacked == 0 && summary.counts.returned == 0)
            // 1200/s over the 6 producer channels (200/s each) for about 3 s.
            #expect((3000...4300).contains(summary.counts.sent), "sent \(summary.counts.sent) at 1200/s for 3 s")
            #expect(abs(summary.sentRate - 1200) < 120, "sent rate \(summary.sentRate)/s")
            #expect(summary.latency?.samples == UInt64(summary.counts.received))
            #if os(Linux)
            #expect((summary.threads ?? 0) > 0)
            #endif
        }

        @Test("200 producer channels at 10 msg/s each add up to the total rate")
        func manyChannelsKeepTheRate() async throws {
            // The schedule itself (even spacing, no drift) is checked without a clock in
            // PerfPacingTests; here the channels must together keep the rate, loosely (the
            // suite also runs under the thread sanitizer on a busy machine).
            let run = PerfRun(configuration: perfConfiguration {
                $0.producers = 2
                $0.producerChannels = 100
                $0.rate = 2000
                $0.duration = 3
            })
            let summary = try await withTimeout(60, "200 producer channels at 2000/s") { try await run.run { _ in } }
            #expect(summary.connections == 3)
            #expect(summary.channels == 201)
            #expect(abs(summary.sentRate - 2000) < 200, "sent rate \(summary.sentRate)/s")
            #expect(summary.counts.received == summary.counts.sent)
        }

        @Test("a counted run split over producer channels publishes exactly the count")
        func countedOverChannels() async throws {
            let run = PerfRun(configuration: perfConfiguration {
                $0.producers = 2
                $0.producerChannels = 4
                $0.consumerChannels = 3
                $0.messageCount = 1003
                $0.confirmWindow = 20
            })
            let summary = try await withTimeout(60, "1003 messages over 8 producer channels") { try await run.run { _ in } }
            #expect(summary.connections == 3)
            #expect(summary.channels == 11)
            #expect(summary.counts.sent == 1003)
            #expect(summary.counts.confirmed == 1003)
            #expect(summary.counts.received == 1003)
        }

        @Test("a consume-only run drains a named, pre-filled queue")
        func consumeOnly() async throws {
            let queue = Names.unique("hare-test-perf")
            let fill = PerfRun(configuration: perfConfiguration {
                $0.queue = queue
                $0.consumers = 0
                $0.messageCount = 3000
                $0.confirmWindow = 500
            })
            let filled = try await withTimeout(60, "filling the queue") { try await fill.run { _ in } }
            #expect(filled.counts.confirmed == 3000)
            let drain = PerfRun(configuration: perfConfiguration {
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
