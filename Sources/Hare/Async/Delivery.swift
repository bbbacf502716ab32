import AMQPProtocol
import NIOCore

/// A message delivered to a consumer (basic.deliver with its properties and body).
public struct Delivery: Sendable {
    /// The exchange the message was published to.
    public var exchange: String
    /// The routing key it was published with.
    public var routingKey: String
    /// The delivery tag, for acknowledging it on its channel.
    public var deliveryTag: UInt64
    /// Whether the broker delivered it before (to this or another consumer).
    public var redelivered: Bool
    /// The consumer it was delivered to.
    public var consumerTag: String
    /// The message properties.
    public var properties: AMQP.BasicProperties
    /// The body.
    public var body: ByteBuffer
    /// The channel it came on (acknowledgements go back on it).
    public let channel: Channel

    /// Acknowledges the message (basic.ack); with `multiple`, every earlier unacknowledged
    /// delivery of the channel too.
    ///
    /// - Throws: `ChannelWrongStateError` when the channel is closed.
    nonisolated(nonsending) public func ack(multiple: Bool = false) async throws {
        try await channel.basicAck(deliveryTag: deliveryTag, multiple: multiple)
    }

    /// Refuses the message (basic.nack); `requeue` puts it back; with `multiple`, every earlier
    /// unacknowledged delivery of the channel too.
    ///
    /// - Throws: `ChannelWrongStateError` when the channel is closed.
    nonisolated(nonsending) public func nack(multiple: Bool = false, requeue: Bool = true) async throws {
        try await channel.basicNack(deliveryTag: deliveryTag, multiple: multiple, requeue: requeue)
    }

    /// Refuses the message (basic.reject); `requeue` puts it back.
    ///
    /// - Throws: `ChannelWrongStateError` when the channel is closed.
    nonisolated(nonsending) public func reject(requeue: Bool = true) async throws {
        try await channel.basicReject(deliveryTag: deliveryTag, requeue: requeue)
    }
}
