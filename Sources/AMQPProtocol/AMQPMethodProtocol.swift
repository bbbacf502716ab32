import NIOCore

/// What every generated method struct (`AMQP.Queue.Declare`, ...) provides: its identity and
/// metadata from the spec, and the codec of its arguments.
public protocol AMQPMethodProtocol: Hashable, Sendable {
    /// The class id on the wire.
    static var classID: UInt16 { get }
    /// The method id on the wire.
    static var methodID: UInt16 { get }
    /// The spec's name, `class.method`.
    static var name: String { get }
    /// Whether the spec marks the method synchronous.
    static var isSynchronous: Bool { get }
    /// Whether a content header and body follow the method.
    static var hasContent: Bool { get }
    /// The methods that answer this one, per the spec.
    static var responseTypes: [any AMQPMethodProtocol.Type] { get }

    /// Decodes the arguments (after the class and method ids).
    init(from buffer: inout ByteBuffer) throws(AMQPProtocolError)
    /// Encodes the arguments (without the class and method ids).
    func encode(into buffer: inout ByteBuffer) throws(AMQPProtocolError)
}

/// What every generated content-properties struct (`AMQP.BasicProperties`) provides.
public protocol AMQPContentProperties: Hashable, Sendable {
    /// The class these properties belong to.
    static var classID: UInt16 { get }
    /// Decodes the flag words and the properties they announce.
    init(from buffer: inout ByteBuffer) throws(AMQPProtocolError)
    /// Encodes the flag words and every property that is set.
    func encode(into buffer: inout ByteBuffer) throws(AMQPProtocolError)
}
