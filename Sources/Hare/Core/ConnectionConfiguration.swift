import AMQPProtocol
import NIOCore

/// What the connection state machine needs to know about the client: the values it sends and
/// the limits it negotiates. Built from `ConnectionParameters`.
struct ConnectionConfiguration {
    var virtualHost: String
    var locale: String
    var clientProperties: FieldTable
    var mechanism: String
    /// The SASL response (for PLAIN it holds the password: never log it).
    var response: ByteBuffer
    var channelMax: UInt16
    var frameMax: UInt32
    var heartbeat: UInt16?
    var heartbeatCallback: (@Sendable (UInt16) -> UInt16)?
}
