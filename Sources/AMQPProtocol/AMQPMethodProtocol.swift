import NIOCore

/// A value with an AMQP wire codec: decoded from an `AMQPReader`, sized, then encoded into an
/// `AMQPWriter`. Method arguments and content properties are both this.
public protocol AMQPWireCodable: Hashable, Sendable {
    /// Decodes the value.
    init(from reader: inout AMQPReader) throws(AMQPProtocolError)
    /// The size of the encoded value; throws what encoding would (a short string over 255
    /// bytes, tables nested too deep), so that nothing is written for a value that cannot be.
    func encodedSize() throws(AMQPProtocolError) -> Int
    /// Encodes the value into memory `encodedSize()` reserved.
    func encode(to writer: inout AMQPWriter)
}

extension AMQPWireCodable {
    /// Decodes the value from `buffer`; on error the buffer is unchanged.
    @inlinable
    public init(from buffer: inout ByteBuffer) throws(AMQPProtocolError) {
        self = try buffer.readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in try Self(from: &reader) }
    }

    /// Encodes the value into `buffer`; on error nothing is written.
    @inlinable
    public func encode(into buffer: inout ByteBuffer) throws(AMQPProtocolError) {
        let size = try encodedSize()
        buffer.writeAMQP(size: size) { self.encode(to: &$0) }
    }
}

/// What every generated method struct (`AMQP.Queue.Declare`, ...) provides: its identity and
/// metadata from the spec, and the codec of its arguments (without the class and method ids).
public protocol AMQPMethodProtocol: AMQPWireCodable {
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
}

/// What every generated content-properties struct (`AMQP.BasicProperties`) provides: its class
/// and the codec of its flag words and properties.
public protocol AMQPContentProperties: AMQPWireCodable {
    /// The class these properties belong to.
    static var classID: UInt16 { get }
}
