import NIOCore

/// The protocol header a client sends first: `AMQP`, 0, then the version's major, minor and revision.
public enum AMQPProtocolHeader {
    /// The eight bytes of the header for the generated protocol version.
    public static let bytes: [UInt8] = [
        UInt8(ascii: "A"), UInt8(ascii: "M"), UInt8(ascii: "Q"), UInt8(ascii: "P"),
        0, AMQP.version.major, AMQP.version.minor, AMQP.version.revision,
    ]
}

extension ByteBuffer {
    /// Writes the protocol header.
    public mutating func writeAMQPProtocolHeader() {
        writeBytes(AMQPProtocolHeader.bytes)
    }
}
