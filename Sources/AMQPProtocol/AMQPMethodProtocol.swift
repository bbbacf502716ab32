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
    init(from reader: inout AMQPReader) throws(AMQPProtocolError)
    /// The size of the encoded arguments; throws what encoding would (a short string over 255
    /// bytes, tables nested too deep), so that nothing is written for a value that cannot be.
    func encodedSize() throws(AMQPProtocolError) -> Int
    /// Encodes the arguments (without the class and method ids) into memory `encodedSize()` reserved.
    func encode(to writer: inout AMQPWriter)
}

extension AMQPMethodProtocol {
    /// Decodes the arguments (after the class and method ids) from `buffer`; on error the
    /// buffer is unchanged.
    @inlinable
    public init(from buffer: inout ByteBuffer) throws(AMQPProtocolError) {
        self = try buffer.readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in try Self(from: &reader) }
    }

    /// Encodes the arguments (without the class and method ids) into `buffer`; on error nothing
    /// is written.
    @inlinable
    public func encode(into buffer: inout ByteBuffer) throws(AMQPProtocolError) {
        let size = try encodedSize()
        buffer.writeAMQP(size: size) { self.encode(to: &$0) }
    }
}

/// What every generated content-properties struct (`AMQP.BasicProperties`) provides.
public protocol AMQPContentProperties: Hashable, Sendable {
    /// The class these properties belong to.
    static var classID: UInt16 { get }
    /// Decodes the flag words and the properties they announce.
    init(from reader: inout AMQPReader) throws(AMQPProtocolError)
    /// The size of the encoded flag words and properties; throws what encoding would.
    func encodedSize() throws(AMQPProtocolError) -> Int
    /// Encodes the flag words and every property that is set into memory `encodedSize()` reserved.
    func encode(to writer: inout AMQPWriter)
}

extension AMQPContentProperties {
    /// Decodes the flag words and properties from `buffer`; on error the buffer is unchanged.
    @inlinable
    public init(from buffer: inout ByteBuffer) throws(AMQPProtocolError) {
        self = try buffer.readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in try Self(from: &reader) }
    }

    /// Encodes the flag words and properties into `buffer`; on error nothing is written.
    @inlinable
    public func encode(into buffer: inout ByteBuffer) throws(AMQPProtocolError) {
        let size = try encodedSize()
        buffer.writeAMQP(size: size) { self.encode(to: &$0) }
    }
}
