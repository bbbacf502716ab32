import AMQPProtocol
import NIOCore

/// A message fetched with basic.get.
public struct BasicGetMessage: Sendable {
    /// The broker's get-ok: delivery tag, redelivered, exchange, routing key, messages left.
    public var method: AMQP.Basic.GetOk
    /// The message properties.
    public var properties: AMQP.BasicProperties
    /// The body.
    public var body: ByteBuffer
}
