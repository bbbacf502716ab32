import AMQPProtocol
import NIOCore

/// A message as it arrives: the method that announced it, its properties and its body.
struct ContentMessage {
    /// The method that carries content from the broker.
    enum Method {
        case deliver(AMQP.Basic.Deliver)
        case returned(AMQP.Basic.Return)
        case getOk(AMQP.Basic.GetOk)
    }

    var method: Method
    var properties: AMQP.BasicProperties
    /// The body; for a single body frame a slice of the received bytes, not a copy.
    var body: ByteBuffer
}
