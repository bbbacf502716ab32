import AMQPProtocol
import Hare
import NIOCore
import Testing
import HareTestSupport

/// Every channel method against the broker, face-independent: each scenario opens its own
/// connection, uses uniquely named queues and exchanges, and removes what it declared.
enum ChannelScenarios {
    /// exchange.declare (active and passive), exchange.bind / unbind between two exchanges,
    /// exchange.delete: a message follows the exchange-to-exchange binding while it exists.
    static func exchanges<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { _, channel in
            let source = Names.unique("hare-test-source")
            let destination = Names.unique("hare-test-destination")
            let queue = Names.unique("hare-test-queue")
            try await channel.exchangeDeclare(source, type: "topic")
            try await channel.exchangeDeclare(destination, type: "fanout")
            try await channel.exchangeDeclare(source, type: "topic", passive: true)
            try await channel.queueDeclare(queue)
            try await channel.queueBind(queue, exchange: destination, routingKey: "")
            try await channel.exchangeBind(destination: destination, source: source, routingKey: "orders.*")

            try await channel.publish(OutgoingMessage(exchange: source, routingKey: "orders.new", "bound"))
            let routed = try await channel.awaitMessage(queue, autoAck: true)
            #expect(routed.bodyString == "bound")
            #expect(routed.exchange == source)
            #expect(routed.routingKey == "orders.new")

            try await channel.exchangeUnbind(destination: destination, source: source, routingKey: "orders.*")
            try await channel.publish(OutgoingMessage(exchange: source, routingKey: "orders.new", "unbound"))
            try await channel.publish(to: queue, "marker")
            // Messages on one channel reach one queue in order: the marker comes first only if
            // the unbound message was dropped.
            let next = try await channel.awaitMessage(queue, autoAck: true)
            #expect(next.bodyString == "marker")

            try await channel.exchangeDelete(destination)
            try await channel.exchangeDelete(source, ifUnused: true)
            try await channel.queueDelete(queue)
        }
        // A passive declare of the deleted exchange now fails with 404.
        try await Face.withChannel { _, channel in
            await #expect(throws: (any Error).self) {
                try await channel.exchangeDeclare(Names.unique("hare-test-missing"), passive: true)
            }
            let reason = try await channel.closeReason()
            #expect((reason as? ChannelClosedByBroker)?.replyCode == 404)
        }
    }

    /// queue.declare (named, server-named, passive), queue.bind / unbind, queue.purge and
    /// queue.delete with their counts.
    static func queues<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { _, channel in
            let queue = Names.unique("hare-test-queue")
            let declared = try await channel.queueDeclare(queue)
            #expect(declared.queue == queue)
            #expect(declared.messageCount == 0)
            #expect(declared.consumerCount == 0)

            let serverNamed = try await channel.queueDeclare("", exclusive: true)
            #expect(serverNamed.queue.hasPrefix("amq.gen-"))

            let exchange = Names.unique("hare-test-direct")
            try await channel.exchangeDeclare(exchange, type: "direct")
            try await channel.queueBind(queue, exchange: exchange, routingKey: "key")
            try await channel.confirmSelect()
            for index in 1...3 {
                try await channel.publish(OutgoingMessage(exchange: exchange, routingKey: "key", "message \(index)"))
            }
            try await ConfirmCollector.awaitAll(1...3, on: channel)

            let passive = try await channel.queueDeclare(queue, passive: true)
            #expect(passive.messageCount == 3)
            #expect(try await channel.queuePurge(queue) == 3)

            try await channel.queueUnbind(queue, exchange: exchange, routingKey: "key")
            try await channel.publish(OutgoingMessage(exchange: exchange, routingKey: "key", "dropped"))
            try await channel.publish(to: queue, "direct")
            try await ConfirmCollector.awaitAll(4...5, on: channel)
            #expect(try await channel.queueDelete(queue) == 1)
            try await channel.exchangeDelete(exchange)
        }
    }

    /// basic.get with a message and on an empty queue; basic.ack settles it.
    static func getAndAck<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { connection, channel in
            let queue = Names.unique("hare-test-get")
            try await channel.queueDeclare(queue)
            #expect(try await channel.get(queue) == nil)

            var properties = AMQP.BasicProperties()
            properties.contentType = "text/plain"
            properties.messageId = "get-1"
            try await channel.publish(to: queue, "fetch me", properties: properties)
            let message = try await channel.awaitMessage(queue)
            #expect(message.bodyString == "fetch me")
            #expect(message.properties.contentType == "text/plain")
            #expect(message.properties.messageId == "get-1")
            #expect(message.routingKey == queue)
            #expect(message.exchange == "")
            #expect(!message.redelivered)
            try await channel.ack(message.deliveryTag)
            #expect(try await channel.get(queue) == nil)
            try await expectSettled(queue, closing: channel, on: connection)
        }
    }

    /// basic.consume delivers in order; basic.ack with multiple settles them; basic.cancel
    /// stops deliveries.
    static func consumeAndCancel<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { connection, channel in
            let queue = Names.unique("hare-test-consume")
            try await channel.queueDeclare(queue)
            let consumer = try await channel.consume(queue)
            for index in 1...5 {
                try await channel.publish(to: queue, "message \(index)")
            }
            var last: UInt64 = 0
            for index in 1...5 {
                let message = try await consumer.next()
                #expect(message.bodyString == "message \(index)")
                #expect(message.consumerTag == consumer.tag)
                #expect(message.deliveryTag > last)
                last = message.deliveryTag
            }
            try await channel.ack(last, multiple: true)
            try await channel.cancel(consumer.tag)
            try await channel.publish(to: queue, "after cancel")
            let message = try await channel.awaitMessage(queue, autoAck: true)
            #expect(message.bodyString == "after cancel")
            #expect(consumer.deliveries.count == 0)
            try await expectSettled(queue, closing: channel, on: connection)
        }
    }

    /// basic.qos: with prefetch 2 a consumer holds at most two unacknowledged messages.
    static func qos<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { _, channel in
            let queue = Names.unique("hare-test-qos")
            try await channel.queueDeclare(queue)
            try await channel.basicQos(prefetchCount: 2)
            let consumer = try await channel.consume(queue)
            for index in 1...4 {
                try await channel.publish(to: queue, "message \(index)")
            }
            let first = try await consumer.next()
            let second = try await consumer.next()
            #expect(first.bodyString == "message 1")
            #expect(second.bodyString == "message 2")
            await #expect(throws: TestTimeout.self) { _ = try await consumer.next(timeout: 0.75) }
            try await channel.ack(first.deliveryTag)
            let third = try await consumer.next()
            #expect(third.bodyString == "message 3")
            await #expect(throws: TestTimeout.self) { _ = try await consumer.next(timeout: 0.5) }
            try await channel.ack(third.deliveryTag, multiple: true)
            let fourth = try await consumer.next()
            #expect(fourth.bodyString == "message 4")
            try await channel.ack(fourth.deliveryTag)
            try await channel.cancel(consumer.tag)
        }
    }

    /// basic.nack and basic.reject, with and without requeue, and nack with multiple.
    static func nackAndReject<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { _, channel in
            let queue = Names.unique("hare-test-nack")
            try await channel.queueDeclare(queue)
            try await channel.publish(to: queue, "one")
            let first = try await channel.awaitMessage(queue)
            try await channel.nack(first.deliveryTag, multiple: false, requeue: true)
            let again = try await channel.awaitMessage(queue)
            #expect(again.bodyString == "one")
            #expect(again.redelivered)
            try await channel.reject(again.deliveryTag, requeue: true)
            let third = try await channel.awaitMessage(queue)
            #expect(third.redelivered)
            try await channel.reject(third.deliveryTag, requeue: false)
            #expect(try await channel.get(queue) == nil)

            try await channel.publish(to: queue, "two")
            try await channel.publish(to: queue, "three")
            _ = try await channel.awaitMessage(queue)
            let last = try await channel.awaitMessage(queue)
            try await channel.nack(last.deliveryTag, multiple: true, requeue: false)
            #expect(try await channel.get(queue) == nil)
        }
    }

    /// basic.recover with requeue: an unacknowledged delivery comes again, marked redelivered.
    static func recover<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { _, channel in
            let queue = Names.unique("hare-test-recover")
            try await channel.queueDeclare(queue)
            let consumer = try await channel.consume(queue)
            try await channel.publish(to: queue, "again")
            let first = try await consumer.next()
            #expect(!first.redelivered)
            try await channel.recover(requeue: true)
            let second = try await consumer.next()
            #expect(second.bodyString == "again")
            #expect(second.redelivered)
            try await channel.ack(second.deliveryTag)
        }
    }

    /// tx.select, tx.rollback drops the publish, tx.commit delivers it.
    static func transactions<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { connection, channel in
            let queue = Names.unique("hare-test-tx")
            try await channel.queueDeclare(queue)
            try await channel.txSelect()
            try await channel.publish(to: queue, "rolled back")
            try await channel.txRollback()
            // Another channel sees the queue as the broker has it.
            let observer = try await connection.openChannel()
            #expect(try await observer.get(queue) == nil)
            try await channel.publish(to: queue, "committed")
            try await channel.txCommit()
            let message = try await observer.awaitMessage(queue, autoAck: true)
            #expect(message.bodyString == "committed")
            _ = try await observer.close()
        }
    }

    /// channel.flow(active: true) is answered with flow-ok(active: true).
    static func flow<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { _, channel in
            let active = try await channel.flow(active: true)
            #expect(active)
            #expect(channel.isOpen)
        }
    }

    /// channel.close: the close reports ChannelClosedByClient; then a publish throws
    /// ChannelWrongStateError and the connection stays usable.
    static func closeThenPublish<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { connection, channel in
            let reason = try await channel.close()
            let byClient = try #require(reason as? ChannelClosedByClient, "closed with \(reason)")
            #expect(byClient.replyCode == 200)
            #expect(!channel.isOpen)
            await #expect(throws: ChannelWrongStateError.self) {
                try await channel.publish(to: "anything", "too late")
            }
            let other = try await connection.openChannel()
            try await other.queueDeclare("", exclusive: true)
            #expect(connection.isOpen)
        }
    }

    /// Every message taken from `queue` on `channel` was acknowledged: closing the channel
    /// (which requeues whatever is unacknowledged) leaves the queue empty.
    static func expectSettled(_ queue: String, closing channel: some FaceChannel, on connection: some FaceConnection) async throws {
        _ = try await channel.close()
        let observer = try await connection.openChannel()
        #expect(try await observer.get(queue) == nil, "a message came back: it was not acknowledged")
        _ = try await observer.close()
    }
}
