import NIOCore

/// The AMQP primitive types on a `ByteBuffer`, big-endian as the spec says. Every read checks
/// the bytes left before it reads, and throws `AMQPProtocolError` instead of trapping.
extension ByteBuffer {
    @inlinable
    mutating func readAMQPInteger<T: FixedWidthInteger>(as type: T.Type) throws(AMQPProtocolError) -> T {
        guard let value = readInteger(endianness: .big, as: T.self) else {
            throw AMQPProtocolError(.truncated(needed: MemoryLayout<T>.size, available: readableBytes))
        }
        return value
    }

    /// Reads an `octet`.
    @inlinable
    public mutating func readAMQPOctet() throws(AMQPProtocolError) -> UInt8 {
        try readAMQPInteger(as: UInt8.self)
    }

    /// Reads a `short` (16 bits).
    @inlinable
    public mutating func readAMQPShort() throws(AMQPProtocolError) -> UInt16 {
        try readAMQPInteger(as: UInt16.self)
    }

    /// Reads a `long` (32 bits).
    @inlinable
    public mutating func readAMQPLong() throws(AMQPProtocolError) -> UInt32 {
        try readAMQPInteger(as: UInt32.self)
    }

    /// Reads a `longlong` (64 bits).
    @inlinable
    public mutating func readAMQPLongLong() throws(AMQPProtocolError) -> UInt64 {
        try readAMQPInteger(as: UInt64.self)
    }

    /// Reads a `timestamp` (64-bit seconds since the epoch).
    @inlinable
    public mutating func readAMQPTimestamp() throws(AMQPProtocolError) -> AMQPTimestamp {
        AMQPTimestamp(secondsSince1970: try readAMQPLongLong())
    }

    /// Reads a `shortstr`: an octet length, then that many bytes of UTF-8.
    @inlinable
    public mutating func readAMQPShortString() throws(AMQPProtocolError) -> String {
        let length = Int(try readAMQPOctet())
        return try readAMQPUTF8(length: length)
    }

    /// Reads `length` bytes (already checked to be non-negative) as validated UTF-8.
    @inlinable
    mutating func readAMQPUTF8(length: Int) throws(AMQPProtocolError) -> String {
        guard length <= readableBytes else {
            throw AMQPProtocolError(.truncated(needed: length, available: readableBytes))
        }
        if length == 0 { return "" }
        let string = withUnsafeReadableBytes { bytes in
            String(validating: UnsafeRawBufferPointer(rebasing: bytes[0..<length]), as: UTF8.self)
        }
        guard let string else { throw AMQPProtocolError(.invalidUTF8) }
        moveReaderIndex(forwardBy: length)
        return string
    }

    /// Reads a `longstr`: a 32-bit length, then that many bytes, returned as a slice (no copy).
    @inlinable
    public mutating func readAMQPLongString() throws(AMQPProtocolError) -> ByteBuffer {
        let length = Int(try readAMQPLong())
        guard length <= readableBytes, let slice = readSlice(length: length) else {
            throw AMQPProtocolError(.truncated(needed: length, available: readableBytes))
        }
        return slice
    }

    /// Skips a `shortstr` without decoding it (for reserved fields).
    @inlinable
    public mutating func skipAMQPShortString() throws(AMQPProtocolError) {
        let length = Int(try readAMQPOctet())
        guard length <= readableBytes else {
            throw AMQPProtocolError(.truncated(needed: length, available: readableBytes))
        }
        moveReaderIndex(forwardBy: length)
    }

    /// Skips a `longstr`, or anything else with a 32-bit length prefix such as a table.
    @inlinable
    public mutating func skipAMQPLongString() throws(AMQPProtocolError) {
        let length = Int(try readAMQPLong())
        guard length <= readableBytes else {
            throw AMQPProtocolError(.truncated(needed: length, available: readableBytes))
        }
        moveReaderIndex(forwardBy: length)
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
        let length = value.utf8.count
        guard length <= 255 else { throw AMQPProtocolError(.shortStringTooLong(length: length)) }
        writeInteger(UInt8(truncatingIfNeeded: length))
        writeString(value)
    }

    /// Writes a `longstr` from bytes.
    @inlinable
    public mutating func writeAMQPLongString(_ value: ByteBuffer) {
        writeInteger(UInt32(truncatingIfNeeded: value.readableBytes), endianness: .big)
        writeImmutableBuffer(value)
    }

    /// Writes a `longstr` from a string's UTF-8.
    @inlinable
    public mutating func writeAMQPLongString(_ value: String) {
        writeInteger(UInt32(truncatingIfNeeded: value.utf8.count), endianness: .big)
        writeString(value)
    }
}
