import AMQPProtocol
import Hare
import NIOCore
import HareTestSupport

/// A `Hare.Channel` behind the scenario protocol: every call is bounded by a timeout; close,
/// return, confirm and broker-cancel events feed mailboxes.
final class AsyncChannel: FaceChannel, MailboxFed {
    /// The channel under test.
    let channel: Hare.Channel
    let closes = Mailbox<any Error>("the channel's end (closed())")
    let returns = Mailbox<ReturnedMessage>("a returned message")
    let brokerCancels = Mailbox<String>("a consumer cancelled by the broker")
    let confirms = Mailbox<PublisherConfirm>("a publisher confirm")

    init(channel: Hare.Channel) {
        self.channel = channel
        let closes = closes, returns = returns, confirms = confirms
        let returnStream = channel.returnedMessages()
        let confirmStream = channel.publisherConfirms()
        Task { closes.put(await channel.closed()) }
        Task {
            for await returned in returnStream {
                returns.put(ReturnedMessage(
                    replyCode: returned.method.replyCode, replyText: returned.method.replyText, exchange: returned.method.exchange,
                    routingKey: returned.method.routingKey, properties: returned.properties, body: returned.body
                ))
            }
        }
        Task {
            for await confirm in confirmStream { confirms.put(confirm) }
        }
    }

    var isOpen: Bool { channel.isOpen }

    /// One call of the face, bounded.
    private func run<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Hare.Channel) async throws -> T) async throws -> T {
        let channel = channel
        return try await withTimeout(10, "the reply to \(what)") { try await body(channel) }
    }

    func exchangeDeclare(
        _ exchange: String, type: String, passive: Bool, durable: Bool, autoDelete: Bool, internal: Bool, arguments: FieldTable
    ) async throws {
        _ = try await run("exchange.declare") {
            try await $0.exchangeDeclare(
                exchange: exchange, exchangeType: type, passive: passive, durable: durable, autoDelete: autoDelete,
                internal: `internal`, arguments: arguments
            )
        }
    }

    func exchangeDelete(_ exchange: String, ifUnused: Bool) async throws {
        _ = try await run("exchange.delete") { try await $0.exchangeDelete(exchange: exchange, ifUnused: ifUnused) }
    }

    func exchangeBind(destination: String, source: String, routingKey: String) async throws {
        _ = try await run("exchange.bind") { try await $0.exchangeBind(destination: destination, source: source, routingKey: routingKey) }
    }

    func exchangeUnbind(destination: String, source: String, routingKey: String) async throws {
        _ = try await run("exchange.unbind") { try await $0.exchangeUnbind(destination: destination, source: source, routingKey: routingKey) }
    }

    func queueDeclare(
        _ queue: String, passive: Bool, durable: Bool, exclusive: Bool, autoDelete: Bool, arguments: FieldTable
    ) async throws -> AMQP.Queue.DeclareOk {
        try await run("queue.declare") {
            try await $0.queueDeclare(
                queue: queue, passive: passive, durable: durable, exclusive: exclusive, autoDelete: autoDelete, arguments: arguments
            )
        }
    }

    func queueBind(_ queue: String, exchange: String, routingKey: String) async throws {
        _ = try await run("queue.bind") { try await $0.queueBind(queue: queue, exchange: exchange, routingKey: routingKey) }
    }

    func queueUnbind(_ queue: String, exchange: String, routingKey: String) async throws {
        _ = try await run("queue.unbind") { try await $0.queueUnbind(queue: queue, exchange: exchange, routingKey: routingKey) }
    }

    func queuePurge(_ queue: String) async throws -> UInt32 {
        try await run("queue.purge") { try await $0.queuePurge(queue: queue).messageCount }
    }

    func queueDelete(_ queue: String, ifUnused: Bool, ifEmpty: Bool) async throws -> UInt32 {
        try await run("queue.delete") { try await $0.queueDelete(queue: queue, ifUnused: ifUnused, ifEmpty: ifEmpty).messageCount }
    }

    func basicQos(prefetchCount: UInt16, global: Bool) async throws {
        _ = try await run("basic.qos") { try await $0.basicQos(prefetchCount: prefetchCount, globalQos: global) }
    }

    func publish(_ messages: [OutgoingMessage]) async throws -> [UInt64?] {
        try await run("publishing \(messages.count) message(s)") { channel in
            var numbers: [UInt64?] = []
            numbers.reserveCapacity(messages.count)
            for message in messages {
                numbers.append(try await channel.basicPublish(
                    exchange: message.exchange, routingKey: message.routingKey, body: message.body,
                    properties: message.properties, mandatory: message.mandatory
                ))
            }
            return numbers
        }
    }

    func get(_ queue: String, autoAck: Bool) async throws -> ReceivedMessage? {
        let message = try await run("basic.get") { try await $0.basicGet(queue: queue, autoAck: autoAck) }
        return message.map(ReceivedMessage.init)
    }

    /// Starts a consumer and a task that moves its deliveries to a mailbox; a broker cancel
    /// (the sequence throws `ConsumerCancelled`) goes to `brokerCancels`.
    func consume(_ queue: String, autoAck: Bool, exclusive: Bool) async throws -> TestConsumer {
        let consumer = try await run("basic.consume") { try await $0.basicConsume(queue: queue, autoAck: autoAck, exclusive: exclusive) }
        let deliveries = Mailbox<ReceivedMessage>("a delivery from queue \(queue)")
        let brokerCancels = brokerCancels
        Task {
            do {
                for try await delivery in consumer {
                    deliveries.put(ReceivedMessage(delivery))
                }
            } catch let cancelled as ConsumerCancelled {
                brokerCancels.put(cancelled.consumerTag)
            } catch {}
        }
        return TestConsumer(tag: consumer.consumerTag, deliveries: deliveries)
    }

    func cancel(_ consumerTag: String) async throws {
        _ = try await run("basic.cancel") { try await $0.basicCancel(consumerTag: consumerTag) }
    }

    func ack(_ deliveryTag: UInt64, multiple: Bool) async throws {
        try await run("basic.ack") { try await $0.basicAck(deliveryTag: deliveryTag, multiple: multiple) }
    }

    func nack(_ deliveryTag: UInt64, multiple: Bool, requeue: Bool) async throws {
        try await run("basic.nack") { try await $0.basicNack(deliveryTag: deliveryTag, multiple: multiple, requeue: requeue) }
    }

    func reject(_ deliveryTag: UInt64, requeue: Bool) async throws {
        try await run("basic.reject") { try await $0.basicReject(deliveryTag: deliveryTag, requeue: requeue) }
    }

    func recover(requeue: Bool) async throws {
        _ = try await run("basic.recover") { try await $0.basicRecover(requeue: requeue) }
    }

    func confirmSelect() async throws {
        _ = try await run("confirm.select") { try await $0.confirmSelect() }
    }

    func txSelect() async throws { _ = try await run("tx.select") { try await $0.txSelect() } }
    func txCommit() async throws { _ = try await run("tx.commit") { try await $0.txCommit() } }
    func txRollback() async throws { _ = try await run("tx.rollback") { try await $0.txRollback() } }

    func flow(active: Bool) async throws -> Bool {
        try await run("channel.flow") { try await $0.flow(active: active) }
    }

    func close() async throws -> any Error {
        try await run("channel.close") { try await $0.close() }
        return try await closes.next(timeout: 10)
    }

    func closeReason(timeout: Double) async throws -> any Error {
        try await closes.next(timeout: timeout)
    }
}

extension ReceivedMessage {
    /// The scenario view of a delivery of the async face.
    init(_ delivery: Delivery) {
        self.init(
            consumerTag: delivery.consumerTag, deliveryTag: delivery.deliveryTag, redelivered: delivery.redelivered,
            exchange: delivery.exchange, routingKey: delivery.routingKey, properties: delivery.properties, body: delivery.body
        )
    }
}
