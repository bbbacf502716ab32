import AMQPProtocol
import Hare
import NIOCore
import HareTestSupport

// The shared scenarios (Tests/IntegrationTests/Scenarios/) run against any of Hare's faces
// through these protocols. Each face gives a small adapter: `CallbackFace` wraps
// SelectConnection/SelectChannel; the async/await and blocking faces get their own adapters and
// run the same scenarios. Every wait is bounded: a hung broker or a lost callback fails the test.

/// One of Hare's faces, as the scenarios see it.
protocol TestFace {
    associatedtype Connection: FaceConnection
    /// A short name for test output ("callback", "async", "blocking").
    static var name: String { get }
    /// Opens a connection; throws what the face reports when it cannot be opened
    /// (`ProbableAuthenticationError` and friends, as they are).
    static func connect(_ parameters: ConnectionParameters, timeout: Double) async throws -> Connection
}

/// A blocked or unblocked notice from the broker (connection.blocked / unblocked).
enum ConnectionNotice: Sendable, Equatable {
    case blocked(reason: String)
    case unblocked
}

/// An open connection of some face.
protocol FaceConnection: Sendable {
    associatedtype Channel: FaceChannel
    /// Opens a channel.
    func openChannel() async throws -> Channel
    /// Whether the connection is open.
    var isOpen: Bool { get }
    /// Closes the connection normally and returns the reason the face reported for the close.
    func close() async throws -> any Error
    /// Waits for the connection to close by itself (the broker closed it, a dead peer) and
    /// returns why.
    func closeReason(timeout: Double) async throws -> any Error
    /// Waits for the next blocked / unblocked notice.
    func nextNotice(timeout: Double) async throws -> ConnectionNotice
    /// Releases everything (closes the connection when still open); never throws.
    func shutdown() async
}

/// A message as a consumer or basic.get received it.
struct ReceivedMessage: Sendable {
    var consumerTag: String?
    var deliveryTag: UInt64
    var redelivered: Bool
    var exchange: String
    var routingKey: String
    var properties: AMQP.BasicProperties
    var body: ByteBuffer

    var bodyString: String { String(buffer: body) }
}

/// A message the broker returned (basic.return).
struct ReturnedMessage: Sendable {
    var replyCode: UInt16
    var replyText: String
    var exchange: String
    var routingKey: String
    var properties: AMQP.BasicProperties
    var body: ByteBuffer
}

/// A message to publish.
struct OutgoingMessage: Sendable {
    var exchange: String
    var routingKey: String
    var body: ByteBuffer
    var properties: AMQP.BasicProperties
    var mandatory: Bool

    init(exchange: String = "", routingKey: String, body: ByteBuffer, properties: AMQP.BasicProperties = AMQP.BasicProperties(), mandatory: Bool = false) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.properties = properties
        self.mandatory = mandatory
    }

    init(exchange: String = "", routingKey: String, _ text: String, properties: AMQP.BasicProperties = AMQP.BasicProperties(), mandatory: Bool = false) {
        self.init(exchange: exchange, routingKey: routingKey, body: ByteBuffer(string: text), properties: properties, mandatory: mandatory)
    }
}

/// A consumer started on a channel: its tag and its deliveries.
final class TestConsumer: Sendable {
    let tag: String
    let deliveries: Mailbox<ReceivedMessage>

    init(tag: String, deliveries: Mailbox<ReceivedMessage>) {
        self.tag = tag
        self.deliveries = deliveries
    }

    /// The next delivery, waiting at most `timeout` seconds.
    func next(timeout: Double = 10) async throws -> ReceivedMessage {
        try await deliveries.next(timeout: timeout)
    }
}

/// An open channel of some face. Every method waits for the broker's reply (or for the face to
/// accept the call, for the asynchronous methods).
protocol FaceChannel: Sendable {
    var isOpen: Bool { get }

    func exchangeDeclare(
        _ exchange: String, type: String, passive: Bool, durable: Bool, autoDelete: Bool, internal: Bool, arguments: FieldTable
    ) async throws
    func exchangeDelete(_ exchange: String, ifUnused: Bool) async throws
    func exchangeBind(destination: String, source: String, routingKey: String) async throws
    func exchangeUnbind(destination: String, source: String, routingKey: String) async throws

    func queueDeclare(
        _ queue: String, passive: Bool, durable: Bool, exclusive: Bool, autoDelete: Bool, arguments: FieldTable
    ) async throws -> AMQP.Queue.DeclareOk
    func queueBind(_ queue: String, exchange: String, routingKey: String) async throws
    func queueUnbind(_ queue: String, exchange: String, routingKey: String) async throws
    /// Returns how many messages were purged.
    func queuePurge(_ queue: String) async throws -> UInt32
    /// Returns how many messages the queue held.
    func queueDelete(_ queue: String, ifUnused: Bool, ifEmpty: Bool) async throws -> UInt32

    func basicQos(prefetchCount: UInt16, global: Bool) async throws
    /// Publishes the messages in one go, in order; returns each publish sequence number (nil
    /// outside confirm mode). Throws what the face throws for a publish it refuses.
    func publish(_ messages: [OutgoingMessage]) async throws -> [UInt64?]
    func get(_ queue: String, autoAck: Bool) async throws -> ReceivedMessage?
    func consume(_ queue: String, autoAck: Bool, exclusive: Bool) async throws -> TestConsumer
    func cancel(_ consumerTag: String) async throws
    func ack(_ deliveryTag: UInt64, multiple: Bool) async throws
    func nack(_ deliveryTag: UInt64, multiple: Bool, requeue: Bool) async throws
    func reject(_ deliveryTag: UInt64, requeue: Bool) async throws
    func recover(requeue: Bool) async throws

    /// Turns on publisher confirms.
    func confirmSelect() async throws
    /// The next publisher confirm (ack or nack).
    func nextConfirm(timeout: Double) async throws -> PublisherConfirm
    /// The next returned message.
    func nextReturn(timeout: Double) async throws -> ReturnedMessage
    /// The tag of the next consumer the broker cancelled.
    func nextBrokerCancel(timeout: Double) async throws -> String

    func txSelect() async throws
    func txCommit() async throws
    func txRollback() async throws
    /// channel.flow; returns the broker's flow-ok `active`.
    func flow(active: Bool) async throws -> Bool

    /// Closes the channel and returns the reason the face reported for the close.
    func close() async throws -> any Error
    /// Waits for the channel to close by itself (the broker closed it) and returns why.
    func closeReason(timeout: Double) async throws -> any Error
}

// MARK: Defaults

extension TestFace {
    static func connect(_ parameters: ConnectionParameters) async throws -> Connection {
        try await connect(parameters, timeout: 15)
    }

    /// Opens a connection to the test broker, runs `body` with it and releases it, whether
    /// `body` succeeds or not.
    static func withConnection<T>(
        _ parameters: ConnectionParameters? = nil, _ body: (Connection) async throws -> T
    ) async throws -> T {
        let connection = try await connect(parameters ?? Broker.parameters())
        let result: T
        do {
            result = try await body(connection)
        } catch {
            await connection.shutdown()
            throw error
        }
        await connection.shutdown()
        return result
    }

    /// Like `withConnection`, with one channel opened on it.
    static func withChannel<T>(
        _ parameters: ConnectionParameters? = nil, _ body: (Connection, Connection.Channel) async throws -> T
    ) async throws -> T {
        try await withConnection(parameters) { connection in
            let channel = try await connection.openChannel()
            return try await body(connection, channel)
        }
    }
}

extension FaceConnection {
    func closeReason() async throws -> any Error { try await closeReason(timeout: 10) }
    func nextNotice() async throws -> ConnectionNotice { try await nextNotice(timeout: 10) }
}

extension FaceChannel {
    func exchangeDeclare(
        _ exchange: String, type: String = "direct", passive: Bool = false, durable: Bool = false,
        autoDelete: Bool = false, internal: Bool = false
    ) async throws {
        try await exchangeDeclare(
            exchange, type: type, passive: passive, durable: durable, autoDelete: autoDelete, internal: `internal`, arguments: [:]
        )
    }

    func exchangeDelete(_ exchange: String) async throws {
        try await exchangeDelete(exchange, ifUnused: false)
    }

    /// Declares a queue; by default exclusive to the connection (so it goes away with it).
    @discardableResult
    func queueDeclare(
        _ queue: String, passive: Bool = false, durable: Bool = false, exclusive: Bool = true, autoDelete: Bool = false,
        arguments: FieldTable = [:]
    ) async throws -> AMQP.Queue.DeclareOk {
        try await queueDeclare(
            queue, passive: passive, durable: durable, exclusive: exclusive, autoDelete: autoDelete, arguments: arguments
        )
    }

    @discardableResult
    func queueDelete(_ queue: String) async throws -> UInt32 {
        try await queueDelete(queue, ifUnused: false, ifEmpty: false)
    }

    func basicQos(prefetchCount: UInt16) async throws {
        try await basicQos(prefetchCount: prefetchCount, global: false)
    }

    @discardableResult
    func publish(_ message: OutgoingMessage) async throws -> UInt64? {
        try await publish([message]).first ?? nil
    }

    /// Publishes `text` to the default exchange with `routingKey`.
    @discardableResult
    func publish(to routingKey: String, _ text: String, properties: AMQP.BasicProperties = AMQP.BasicProperties()) async throws -> UInt64? {
        try await publish(OutgoingMessage(routingKey: routingKey, text, properties: properties))
    }

    func get(_ queue: String) async throws -> ReceivedMessage? {
        try await get(queue, autoAck: false)
    }

    /// Polls basic.get until a message comes (messages routed by another connection arrive a
    /// moment later), at most `timeout` seconds.
    func awaitMessage(_ queue: String, autoAck: Bool = false, timeout: Double = 10) async throws -> ReceivedMessage {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while true {
            if let message = try await get(queue, autoAck: autoAck) { return message }
            guard ContinuousClock.now < deadline else {
                throw TestTimeout(what: "a message in queue \(queue)", seconds: timeout)
            }
            try await pause(0.05)
        }
    }

    func consume(_ queue: String, autoAck: Bool = false) async throws -> TestConsumer {
        try await consume(queue, autoAck: autoAck, exclusive: false)
    }

    func ack(_ deliveryTag: UInt64) async throws {
        try await ack(deliveryTag, multiple: false)
    }

    func nextConfirm() async throws -> PublisherConfirm { try await nextConfirm(timeout: 10) }
    func nextReturn() async throws -> ReturnedMessage { try await nextReturn(timeout: 10) }
    func nextBrokerCancel() async throws -> String { try await nextBrokerCancel(timeout: 10) }
    func closeReason() async throws -> any Error { try await closeReason(timeout: 10) }
}

/// An adapter that feeds the channel's confirms, returns and broker cancels into mailboxes gets
/// the `next...` requirements of `FaceChannel` from them.
protocol MailboxFed {
    var confirms: Mailbox<PublisherConfirm> { get }
    var returns: Mailbox<ReturnedMessage> { get }
    var brokerCancels: Mailbox<String> { get }
}

extension MailboxFed {
    func nextConfirm(timeout: Double) async throws -> PublisherConfirm { try await confirms.next(timeout: timeout) }
    func nextReturn(timeout: Double) async throws -> ReturnedMessage { try await returns.next(timeout: timeout) }
    func nextBrokerCancel(timeout: Double) async throws -> String { try await brokerCancels.next(timeout: timeout) }
}

extension ReceivedMessage {
    /// A message fetched with basic.get.
    init(_ message: BasicGetMessage) {
        self.init(
            consumerTag: nil, deliveryTag: message.method.deliveryTag, redelivered: message.method.redelivered,
            exchange: message.method.exchange, routingKey: message.method.routingKey, properties: message.properties,
            body: message.body
        )
    }
}
