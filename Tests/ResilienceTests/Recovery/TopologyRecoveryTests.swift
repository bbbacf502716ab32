import AMQPProtocol
import Foundation
import Hare
import HareTestSupport
import NIOCore
import Testing

extension Resilience {
    /// What recovery brings back after the broker forced the connection closed.
    @Suite("Topology recovery")
    struct TopologyRecovery {
        @Test("a server-named exclusive queue bound to an exchange comes back under a new name, bound, consumed, with its qos; the application is told old -> new")
        func serverNamedQueue() async throws {
            let fixture = try await RecoveryFixture.open("topology")
            let channel = try await fixture.connection.channel()
            try await channel.basicQos(prefetchCount: 7)
            let exchange = "hare-faults-x-\(fixture.name)"
            try await channel.exchangeDeclare(exchange: exchange, exchangeType: "direct")
            let old = try await channel.queueDeclare(queue: "", exclusive: true).queue
            try await channel.queueBind(queue: old, exchange: exchange, routingKey: "k")
            let consumer = try await channel.basicConsume(queue: old)
            let numberBefore = channel.channelNumber

            let events = try await fixture.forceRecovery()
            let renamed = try #require(events.compactMap(\.renamed).first, "no queueNameChanged in \(events)")
            #expect(renamed.old == old)
            #expect(renamed.new != old)
            #expect(events.compactMap(\.failedEntity).isEmpty, "\(events)")
            #expect(channel.isOpen)
            #expect(channel.channelNumber == numberBefore)

            let queues = try await RecoveryFixture.queueNames()
            #expect(queues.contains(renamed.new))
            #expect(!queues.contains(old))
            let consumers = try await FaultBroker.ctl("list_consumers", "--no-table-headers", "queue_name", "consumer_tag", "prefetch_count")
            let line = try #require(consumers.split(separator: "\n").first { $0.hasPrefix(renamed.new) }, "\(consumers)")
            #expect(line.contains(consumer.consumerTag), "the consumer came back with another tag: \(line)")
            #expect(line.hasSuffix("7"), "qos was not re-applied: \(line)")

            let publisher = try await fixture.observer.channel()
            try await publisher.basicPublish(exchange: exchange, routingKey: "k", body: "after recovery")
            #expect(try await RecoveryFixture.nextBody(of: consumer, "the delivery after recovery") == "after recovery")
            try await publisher.exchangeDelete(exchange: exchange)
            await fixture.close()
        }

        @Test("entities the application deleted are not recreated; exchange-to-exchange bindings are")
        func deletedStayDeleted() async throws {
            let fixture = try await RecoveryFixture.open("deleted")
            let channel = try await fixture.connection.channel()
            let kept = "hare-faults-kept-\(fixture.name)"
            let deleted = "hare-faults-deleted-\(fixture.name)"
            try await channel.queueDeclare(queue: kept, exclusive: true)
            try await channel.queueDeclare(queue: deleted, exclusive: true)
            try await channel.queueDelete(queue: deleted)
            let source = "hare-faults-src-\(fixture.name)", destination = "hare-faults-dst-\(fixture.name)"
            try await channel.exchangeDeclare(exchange: source, exchangeType: "fanout", autoDelete: false)
            try await channel.exchangeDeclare(exchange: destination, exchangeType: "fanout", autoDelete: false)
            try await channel.exchangeBind(destination: destination, source: source)
            try await channel.queueBind(queue: kept, exchange: destination, routingKey: "")
            // Another client deletes the exchanges while this connection is down: recovery
            // brings back what this connection declared, including the binding between them.
            try await FaultBroker.closeConnections(named: fixture.name)
            let observer = try await fixture.observer.channel()
            try await observer.exchangeDelete(exchange: source)
            try await observer.exchangeDelete(exchange: destination)
            let events = try await expectRecovery(fixture.events)
            #expect(events.compactMap(\.failedEntity).isEmpty, "\(events)")

            let queues = try await RecoveryFixture.queueNames()
            #expect(queues.contains(kept))
            #expect(!queues.contains(deleted))
            // A message through both exchanges reaches the queue: every binding is back.
            try await observer.basicPublish(exchange: source, routingKey: "", body: "through")
            let got = try await withTimeout(10, "the message through the exchanges") {
                while true {
                    if let message = try await channel.basicGet(queue: kept, autoAck: true) { return String(buffer: message.body) }
                    try await pause(0.1)
                }
            }
            #expect(got == "through")
            try await observer.exchangeDelete(exchange: source)
            try await observer.exchangeDelete(exchange: destination)
            await fixture.close()
        }

        @Test("the filter leaves an entity out; a consumer on a queue left out is reported cancelled and the channel stays open")
        func filter() async throws {
            let fixture = try await RecoveryFixture.open("filter", recovery: {
                var options = RecoveryOptions.fast
                options.topologyFilter = { entity in
                    if case .queue(let queue) = entity { return !queue.name.hasPrefix("hare-faults-skip") }
                    return true
                }
                return options
            }())
            let channel = try await fixture.connection.channel()
            let skipped = "hare-faults-skip-\(fixture.name)"
            try await channel.queueDeclare(queue: skipped, exclusive: true)
            let consumer = try await channel.basicConsume(queue: skipped)

            let events = try await fixture.forceRecovery()
            let failed = events.compactMap(\.failedEntity)
            #expect(failed.contains { if case .consumer(let c) = $0 { c.consumerTag == consumer.consumerTag } else { false } }, "\(events)")
            #expect(!(try await RecoveryFixture.queueNames()).contains(skipped))
            await #expect(throws: ConsumerCancelled.self) {
                for try await _ in consumer {}
            }
            #expect(channel.isOpen)
            _ = try await channel.queueDeclare(queue: "", exclusive: true)
            await fixture.close()
        }

        @Test("a queue someone else deleted while the connection was down: a consumer of a queue this connection did not declare is reported cancelled; one it declared comes back")
        func queueDeletedAroundRecovery() async throws {
            let fixture = try await RecoveryFixture.open("deleted-around", recovery: RecoveryOptions(
                initialDelay: 2, maxDelay: 2, jitter: 0, whileRecovering: .wait(timeout: 60)
            ))
            let observer = try await fixture.observer.channel()
            let foreign = "hare-faults-foreign-\(fixture.name)"
            let own = "hare-faults-own-\(fixture.name)"
            try await observer.queueDeclare(queue: foreign)
            let channel = try await fixture.connection.channel()
            try await channel.queueDeclare(queue: own)
            let foreignConsumer = try await channel.basicConsume(queue: foreign)
            let ownConsumer = try await channel.basicConsume(queue: own)

            try await FaultBroker.closeConnections(named: fixture.name)
            try await FaultBroker.ctl("delete_queue", foreign)
            try await FaultBroker.ctl("delete_queue", own)
            let events = try await expectRecovery(fixture.events)

            let failed = events.compactMap(\.failedEntity)
            #expect(failed.count == 1, "\(events)")
            #expect(failed.contains { if case .consumer(let c) = $0 { c.queue == foreign } else { false } }, "\(events)")
            await #expect(throws: ConsumerCancelled.self) {
                for try await _ in foreignConsumer {}
            }
            #expect(channel.isOpen)
            try await observer.basicPublish(exchange: "", routingKey: own, body: "still consumed")
            #expect(try await RecoveryFixture.nextBody(of: ownConsumer, "a delivery to the recreated queue") == "still consumed")
            try await channel.queueDelete(queue: own)
            await fixture.close()
        }
    }
}
