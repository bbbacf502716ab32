import NIOCore

/// The AMQP primitive types on a `ByteBuffer`, big-endian as the spec says, for code that reads
/// or writes one value at a time. (The generated codecs use `AMQPReader` and `AMQPWriter`, which
/// do a whole frame per buffer access.) Every read checks the bytes left before it reads and
/// throws `AMQPProtocolError` instead of trapping; a failed read consumes nothing.
extension ByteBuffer {
    /// Reads an `octet`.
    @inlinable
    public mutating func readAMQPOctet() throws(AMQPProtocolError) -> UInt8 {
        try readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.readOctet() }
    }

    /// Reads a `short` (16 bits).
    @inlinable
    public mutating func readAMQPShort() throws(AMQPProtocolError) -> UInt16 {
        try readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.readShort() }
    }

    /// Reads a `long` (32 bits).
    @inlinable
    public mutating func readAMQPLong() throws(AMQPProtocolError) -> UInt32 {
        try readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.readLong() }
    }

    /// Reads a `longlong` (64 bits).
    @inlinable
    public mutating func readAMQPLongLong() throws(AMQPProtocolError) -> UInt64 {
        try readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.readLongLong() }
    }

    /// Reads a `timestamp` (64-bit seconds since the epoch).
    @inlinable
    public mutating func readAMQPTimestamp() throws(AMQPProtocolError) -> AMQPTimestamp {
        try readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.readTimestamp() }
    }

    /// Reads a `shortstr`: an octet length, then that many bytes of valid UTF-8.
    @inlinable
    public mutating func readAMQPShortString() throws(AMQPProtocolError) -> String {
        try readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.readShortString() }
    }

    /// Reads a `longstr`: a 32-bit length, then that many bytes, returned as a slice (no copy).
    @inlinable
    public mutating func readAMQPLongString() throws(AMQPProtocolError) -> ByteBuffer {
        try readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.readLongString() }
    }

    /// Writes an `octet`.
    @inlinable
    public mutating func writeAMQPOctet(_ value: UInt8) {
        writeInteger(value)
    }

    /// Writes a `short`.
    @inlinable
    public mutating func writeAMQPShort(_ value: UInt16) {
        writeInteger(value, endianness: .big)
    }

    /// Writes a `long`.
    @inlinable
    public mutating func writeAMQPLong(_ value: UInt32) {
        writeInteger(value, endianness: .big)
    }

    /// Writes a `longlong`.
    @inlinable
    public mutating func writeAMQPLongLong(_ value: UInt64) {
        writeInteger(value, endianness: .big)
    }

    /// Writes a `timestamp`.
    @inlinable
    public mutating func writeAMQPTimestamp(_ value: AMQPTimestamp) {
        writeInteger(value.secondsSince1970, endianness: .big)
    }

    /// Writes a `shortstr`; throws `shortStringTooLong` (writing nothing) when it is over 255 bytes.
    @inlinable
    public mutating func writeAMQPShortString(_ value: String) throws(AMQPProtocolError) {
        let size = try AMQPEncodedSize.shortString(value)
        writeAMQP(size: size) { $0.writeShortString(value) }
    }

    /// Writes a `longstr` from bytes.
    @inlinable
    public mutating func writeAMQPLongString(_ value: ByteBuffer) {
        writeAMQP(size: AMQPEncodedSize.longString(value)) { $0.writeLongString(value) }
    }

    /// Writes a `longstr` from a string's UTF-8.
    @inlinable
    public mutating func writeAMQPLongString(_ value: String) {
        writeAMQP(size: 4 + value.utf8.count) { $0.writeLongString(value) }
    }
}
