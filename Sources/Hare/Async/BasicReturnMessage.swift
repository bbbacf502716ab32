import AMQPProtocol
import NIOCore

/// A message the broker returned (basic.return): a mandatory publish that no queue took.
public struct BasicReturnMessage: Sendable {
    /// The broker's basic.return: reply code (312 NO_ROUTE), reply text, exchange, routing key.
    public var method: AMQP.Basic.Return
    /// The message properties.
    public var properties: AMQP.BasicProperties
    /// The body.
    public var body: ByteBuffer
}
