import AMQPProtocol
import Hare
@testable import HarePerf
import Testing
import HareTestSupport

extension Integration {
    /// `hare perf`'s exchange, queue arguments, consumer arguments and predeclared objects
    /// against the real broker: what it declares is what the broker then holds.
    @Suite("hare perf: exchanges, arguments and predeclared objects against RabbitMQ")
    struct PerfTopologyTests {
        /// Runs `configuration` to its end and returns the summary.
        func run(_ configuration: PerfConfiguration, _ what: String) async throws -> PerfSummary {
            let run = PerfRun(configuration: configuration)
            return try await withTimeout(60, what) { try await run.run { _ in } }
        }

        /// The broker's refusal that ended a run of `configuration`, or nil when the run succeeded
        /// or failed otherwise (recorded as an issue).
        func refusal(_ configuration: PerfConfiguration, _ what: String) async -> ChannelClosedByBroker? {
            do {
                _ = try await run(configuration, what)
                Issue.record("\(what): the run succeeded")
            } catch let refused as ChannelClosedByBroker {
                return refused
            } catch {
                Issue.record("\(what): failed with \(error)")
            }
            return nil
        }

        /// Runs `body` on a channel of a connection of its own (the async face's).
        func withChannel<T: Sendable>(_ body: (Hare.Channel) async throws -> T) async throws -> T {
            try await AsyncFace.withChannel { _, channel in try await body(channel.channel) }
        }

        /// Runs `body`, then `cleanup`, whether `body` threw or not.
        func withCleanup<T>(_ cleanup: () async -> Void, _ body: () async throws -> T) async throws -> T {
            do {
                let result = try await body()
                await cleanup()
                return result
            } catch {
                await cleanup()
                throw error
            }
        }

        /// Deletes what a test declared, ignoring what is not there.
        func delete(queues: [String] = [], exchanges: [String] = []) async {
            for queue in queues { _ = try? await withChannel { try await $0.queueDelete(queue: queue) } }
            for exchange in exchanges { _ = try? await withChannel { try await $0.exchangeDelete(exchange: exchange) } }
        }

        /// Deletes `queue` and returns how many messages it held.
        func deleteCounting(_ queue: String) async throws -> UInt32 {
            try await withChannel { try await $0.queueDelete(queue: queue).messageCount }
        }

        @Test("a named exchange is declared with its type, and the messages reach the queue through it")
        func exchangeOfItsType() async throws {
            let exchange = Names.unique("hare-test-perf-x")
            try await withCleanup({ await delete(exchanges: [exchange]) }) {
                let summary = try await run(perfConfiguration {
                    $0.exchange = exchange
                    $0.exchangeType = "fanout"
                    $0.routingKey = "any.key"
                    $0.messageCount = 500
                    $0.confirmWindow = 100
                }, "a run through a fanout exchange")
                #expect(summary.counts.confirmed == 500)
                #expect(summary.counts.received == 500)
                // The broker holds a fanout exchange, not durable: declaring it otherwise is refused.
                for (type, durable) in [("direct", false), ("fanout", true)] {
                    var redeclared: (any Error)?
                    do {
                        _ = try await withChannel { try await $0.exchangeDeclare(exchange: exchange, exchangeType: type, durable: durable) }
                    } catch {
                        redeclared = error
                    }
                    #expect((redeclared as? ChannelClosedByBroker)?.replyCode == 406, "\(type), durable \(durable): \(String(describing: redeclared))")
                }
            }
        }

        @Test("a quorum queue is durable, its exchange durable only with --durable (as PerfTest declares it)")
        func quorumQueueAndExchange() async throws {
            let exchange = Names.unique("hare-test-perf-qx")
            let queue = Names.unique("hare-test-perf-qq")
            try await withCleanup({ await delete(queues: [queue], exchanges: [exchange]) }) {
                let summary = try await run(perfConfiguration {
                    $0.queue = queue
                    $0.quorum = true
                    $0.exchange = exchange
                    $0.exchangeType = "topic"
                    $0.routingKey = "perf.#"
                    $0.messageCount = 200
                    $0.confirmWindow = 50
                }, "a run into a quorum queue through a topic exchange")
                #expect(summary.counts.received == 200)
                // Declaring them again as the broker holds them succeeds.
                try await withChannel { channel in
                    _ = try await channel.exchangeDeclare(exchange: exchange, exchangeType: "topic", durable: false)
                    _ = try await channel.queueDeclare(queue: queue, durable: true, arguments: ["x-queue-type": .string("quorum")])
                }
                // A run that names the same exchange with --durable is refused: it would differ.
                let durable = await refusal(perfConfiguration {
                    $0.queue = queue
                    $0.quorum = true
                    $0.durable = true
                    $0.exchange = exchange
                    $0.exchangeType = "topic"
                    $0.messageCount = 10
                }, "a durable exchange over a transient one")
                #expect(durable?.replyCode == 406)
            }
        }

        @Test("the broker's own amq.* exchanges are checked, not declared")
        func brokerExchange() async throws {
            let summary = try await run(perfConfiguration {
                $0.exchange = "amq.topic"
                $0.routingKey = Names.unique("hare.perf")
                $0.messageCount = 200
            }, "a run through amq.topic")
            #expect(summary.counts.received == 200)
        }

        @Test("queue arguments are declared with their types: x-max-length keeps the newest 100 of 300")
        func queueArguments() async throws {
            let queue = Names.unique("hare-test-perf-args")
            try await withCleanup({ await delete(queues: [queue]) }) {
                let summary = try await run(perfConfiguration {
                    $0.queue = queue
                    $0.consumers = 0
                    $0.messageCount = 300
                    $0.confirmWindow = 100
                    $0.queueArguments = [PerfArgument(key: "x-max-length", value: .integer(100))]
                }, "filling a queue with x-max-length")
                #expect(summary.counts.confirmed == 300)
                #expect(try await deleteCounting(queue) == 100)
            }
        }

        @Test("predeclared: the existing queue is used with its own arguments; declaring it over them is refused")
        func predeclaredQueue() async throws {
            let queue = Names.unique("hare-test-perf-pre")
            try await withCleanup({ await delete(queues: [queue]) }) {
                _ = try await withChannel { try await $0.queueDeclare(queue: queue, arguments: ["x-max-length": .int64(20)]) }
                let fill = perfConfiguration {
                    $0.queue = queue
                    $0.consumers = 0
                    $0.messageCount = 50
                    $0.confirmWindow = 10
                }
                let declaring = await refusal(fill, "declaring over a queue with other arguments")
                #expect(declaring?.replyCode == 406)
                let summary = try await run(perfConfiguration {
                    $0 = fill
                    $0.predeclared = true
                }, "a predeclared queue")
                #expect(summary.counts.confirmed == 50)
                #expect(try await deleteCounting(queue) == 20, "the queue's own x-max-length applied")
            }
            let missing = await refusal(perfConfiguration {
                $0.queue = Names.unique("hare-test-perf-missing")
                $0.predeclared = true
                $0.messageCount = 10
            }, "a predeclared queue that is not there")
            #expect(missing?.replyCode == 404)
        }

        @Test("predeclared with --skip-binding-queues: the messages go by the existing bindings, and the run binds nothing", arguments: [true, false])
        func predeclaredExchange(skipBinding: Bool) async throws {
            let exchange = Names.unique("hare-test-perf-prex")
            let queue = Names.unique("hare-test-perf-preq")
            try await withCleanup({ await delete(queues: [queue], exchanges: [exchange]) }) {
                try await withChannel { channel in
                    _ = try await channel.exchangeDeclare(exchange: exchange, exchangeType: "fanout")
                    _ = try await channel.queueDeclare(queue: queue)
                    _ = try await channel.queueBind(queue: queue, exchange: exchange, routingKey: "")
                }
                let summary = try await run(perfConfiguration {
                    $0.queue = queue
                    $0.exchange = exchange
                    $0.routingKey = "perf.key"
                    $0.predeclared = true
                    $0.skipBindingQueues = skipBinding
                    $0.consumers = 0
                    $0.messageCount = 50
                    $0.confirmWindow = 10
                }, "a run through a predeclared exchange")
                #expect(summary.counts.confirmed == 50)
                // Without the test's own binding, a message routes only by one the run made (as
                // PerfTest binds a predeclared queue), and with --skip-binding-queues by none.
                let unroutable: (any Error)? = try await withChannel { channel in
                    _ = try await channel.queueUnbind(queue: queue, exchange: exchange, routingKey: "")
                    _ = try await channel.confirmSelect()
                    do {
                        try await channel.publish(exchange: exchange, routingKey: "perf.key", body: "probe", mandatory: true)
                        return nil
                    } catch {
                        return error
                    }
                }
                if skipBinding {
                    #expect(unroutable is UnroutableError, "\(String(describing: unroutable))")
                    #expect(try await deleteCounting(queue) == 50)
                } else {
                    #expect(unroutable == nil, "\(String(describing: unroutable))")
                    #expect(try await deleteCounting(queue) == 51)
                }
            }
            guard skipBinding else { return }
            let missing = await refusal(perfConfiguration {
                $0.queue = queue
                $0.exchange = Names.unique("hare-test-perf-nox")
                $0.predeclared = true
                $0.messageCount = 10
            }, "a predeclared exchange that is not there")
            #expect(missing?.replyCode == 404)
        }

        @Test("consumer arguments go with basic.consume: a text priority is refused, a number accepted")
        func consumerArguments() async throws {
            let refused = await refusal(perfConfiguration {
                $0.messageCount = 10
                $0.consumerArguments = [PerfArgument(key: "x-priority", value: .string("high"))]
            }, "a consumer with a text priority")
            #expect(refused?.replyCode == 406)
            let summary = try await run(perfConfiguration {
                $0.messageCount = 300
                $0.consumerArguments = [PerfArgument(key: "x-priority", value: .integer(5))]
            }, "a consumer with priority 5")
            #expect(summary.counts.received == 300)
        }
    }
}
