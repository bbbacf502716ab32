import AMQPProtocol
import NIOCore
import Hare
import HareTestSupport

/// A `BlockingChannel` behind the scenario protocol. Every call runs on the connection's worker
/// thread. In confirm mode each publish waits for its confirm (as Pika's blocking publish
/// does); the adapter turns the outcome into the `PublisherConfirm` the scenarios read: a
/// return means an ack, `NackError` a nack of that sequence number.
final class BlockingFaceChannel: FaceChannel, MailboxFed, @unchecked Sendable {
    let channel: BlockingChannel
    let owner: BlockingFaceConnection
    let returns = Mailbox<ReturnedMessage>("a returned message")
    let brokerCancels = Mailbox<String>("a consumer cancelled by the broker")
    let confirms = Mailbox<PublisherConfirm>("a publisher confirm")
    /// The next publish sequence number in confirm mode (nil outside it); worker thread only.
    private let nextSequence = Locked<UInt64?>(nil)

    private init(channel: BlockingChannel, owner: BlockingFaceConnection) {
        self.channel = channel
        self.owner = owner
    }

    /// Wraps an open channel and registers its return and cancel callbacks (on the worker).
    static func make(_ channel: BlockingChannel, connection: BlockingFaceConnection) async throws -> BlockingFaceChannel {
        let face = BlockingFaceChannel(channel: channel, owner: connection)
        try await connection.worker.run { [face] in
            face.channel.addOnReturnCallback { _, returned, properties, body in
                face.owner.noteThread("return")
                face.returns.put(ReturnedMessage(
                    replyCode: returned.replyCode, replyText: returned.replyText, exchange: returned.exchange,
                    routingKey: returned.routingKey, properties: properties, body: body
                ))
            }
            face.channel.addOnCancelCallback { _, cancel in
                face.owner.noteThread("cancel")
                face.brokerCancels.put(cancel.consumerTag)
            }
        }
        return face
    }

    var isOpen: Bool { channel.isOpen }

    private func run<T: Sendable>(_ body: @escaping @Sendable (BlockingChannel) throws -> T) async throws -> T {
        let channel = channel
        return try await owner.worker.run { try body(channel) }
    }

    // MARK: Exchanges

    func exchangeDeclare(
        _ exchange: String, type: String, passive: Bool, durable: Bool, autoDelete: Bool, internal: Bool, arguments: FieldTable
    ) async throws {
        _ = try await run {
            try $0.exchangeDeclare(
                exchange: exchange, exchangeType: type, passive: passive, durable: durable, autoDelete: autoDelete,
                internal: `internal`, arguments: arguments
            )
        }
    }

    func exchangeDelete(_ exchange: String, ifUnused: Bool) async throws {
        _ = try await run { try $0.exchangeDelete(exchange: exchange, ifUnused: ifUnused) }
    }

    func exchangeBind(destination: String, source: String, routingKey: String) async throws {
        _ = try await run { try $0.exchangeBind(destination: destination, source: source, routingKey: routingKey) }
    }

    func exchangeUnbind(destination: String, source: String, routingKey: String) async throws {
        _ = try await run { try $0.exchangeUnbind(destination: destination, source: source, routingKey: routingKey) }
    }

    // MARK: Queues

    func queueDeclare(
        _ queue: String, passive: Bool, durable: Bool, exclusive: Bool, autoDelete: Bool, arguments: FieldTable
    ) async throws -> AMQP.Queue.DeclareOk {
        try await run {
            try $0.queueDeclare(
                queue: queue, passive: passive, durable: durable, exclusive: exclusive, autoDelete: autoDelete, arguments: arguments
            )
        }
    }

    func queueBind(_ queue: String, exchange: String, routingKey: String) async throws {
        _ = try await run { try $0.queueBind(queue: queue, exchange: exchange, routingKey: routingKey) }
    }

    func queueUnbind(_ queue: String, exchange: String, routingKey: String) async throws {
        _ = try await run { try $0.queueUnbind(queue: queue, exchange: exchange, routingKey: routingKey) }
    }

    func queuePurge(_ queue: String) async throws -> UInt32 {
        try await run { try $0.queuePurge(queue: queue).messageCount }
    }

    func queueDelete(_ queue: String, ifUnused: Bool, ifEmpty: Bool) async throws -> UInt32 {
        try await run { try $0.queueDelete(queue: queue, ifUnused: ifUnused, ifEmpty: ifEmpty).messageCount }
    }

    // MARK: Messages

    func basicQos(prefetchCount: UInt16, global: Bool) async throws {
        _ = try await run { try $0.basicQos(prefetchCount: prefetchCount, globalQos: global) }
    }

    /// Publishes one message after the other on the worker. In confirm mode each publish
    /// returns once acked (an ack confirm) or throws `NackError` (a nack confirm, after checking
    /// that the error names this publish's sequence number).
    func publish(_ messages: [OutgoingMessage]) async throws -> [UInt64?] {
        let confirms = confirms
        let nextSequence = nextSequence
        return try await run { channel in
            var numbers: [UInt64?] = []
            for message in messages {
                let sequence = nextSequence.withLock { next -> UInt64? in
                    defer { if let current = next { next = current + 1 } }
                    return next
                }
                do {
                    try channel.basicPublish(
                        exchange: message.exchange, routingKey: message.routingKey, body: message.body,
                        properties: message.properties, mandatory: message.mandatory
                    )
                    if let sequence { confirms.put(Self.confirm(ack: true, sequence)) }
                } catch let nack as NackError {
                    guard let sequence, nack.deliveryTag == sequence else {
                        throw ScenarioFailure("NackError names \(nack.deliveryTag), the publish was number \(String(describing: sequence))")
                    }
                    confirms.put(Self.confirm(ack: false, sequence))
                }
                numbers.append(sequence)
            }
            return numbers
        }
    }

    private static func confirm(ack: Bool, _ tag: UInt64) -> PublisherConfirm {
        PublisherConfirm(isAck: ack, deliveryTag: tag, multiple: false, deliveryTags: [tag])
    }

    func get(_ queue: String, autoAck: Bool) async throws -> ReceivedMessage? {
        let message = try await run { try $0.basicGet(queue: queue, autoAck: autoAck) }
        return message.map(ReceivedMessage.init)
    }

    func consume(_ queue: String, autoAck: Bool, exclusive: Bool) async throws -> TestConsumer {
        let deliveries = Mailbox<ReceivedMessage>("a delivery from queue \(queue)")
        let owner = owner
        let tag = try await run { channel in
            try channel.basicConsume(
                queue: queue,
                onMessageCallback: { _, deliver, properties, body in
                    owner.noteThread("consumer")
                    deliveries.put(ReceivedMessage(
                        consumerTag: deliver.consumerTag, deliveryTag: deliver.deliveryTag, redelivered: deliver.redelivered,
                        exchange: deliver.exchange, routingKey: deliver.routingKey, properties: properties, body: body
                    ))
                },
                autoAck: autoAck, exclusive: exclusive
            )
        }
        return TestConsumer(tag: tag, deliveries: deliveries)
    }

    func cancel(_ consumerTag: String) async throws {
        _ = try await run { try $0.basicCancel(consumerTag: consumerTag) }
    }

    func ack(_ deliveryTag: UInt64, multiple: Bool) async throws {
        try await run { try $0.basicAck(deliveryTag: deliveryTag, multiple: multiple) }
    }

    func nack(_ deliveryTag: UInt64, multiple: Bool, requeue: Bool) async throws {
        try await run { try $0.basicNack(deliveryTag: deliveryTag, multiple: multiple, requeue: requeue) }
    }

    func reject(_ deliveryTag: UInt64, requeue: Bool) async throws {
        try await run { try $0.basicReject(deliveryTag: deliveryTag, requeue: requeue) }
    }

    func recover(requeue: Bool) async throws {
        _ = try await run { try $0.basicRecover(requeue: requeue) }
    }

    // MARK: Confirms, returns, cancels

    func confirmSelect() async throws {
        _ = try await run { try $0.confirmDelivery() }
        nextSequence.withLock { $0 = $0 ?? 1 }
    }

    // MARK: Transactions, flow, close

    func txSelect() async throws {
        _ = try await run { try $0.txSelect() }
    }

    func txCommit() async throws {
        _ = try await run { try $0.txCommit() }
    }

    func txRollback() async throws {
        _ = try await run { try $0.txRollback() }
    }

    func flow(active: Bool) async throws -> Bool {
        try await run { try $0.flow(active: active) }
    }

    func close() async throws -> any Error {
        try await run { try $0.close() }
        guard let reason = channel.closeReason else {
            throw ScenarioFailure("close() returned but the channel has no close reason")
        }
        return reason
    }

    func closeReason(timeout: Double) async throws -> any Error {
        try await BlockingFaceConnection.poll("the channel's close reason", timeout: timeout) { [channel] in channel.closeReason }
    }
}
