import NIOCore

/// Field tables and arrays on a `ByteBuffer`, over `AMQPReader` and `AMQPWriter`.
extension ByteBuffer {
    /// Reads a field table: a 32-bit byte length, then (short string key, tagged value) pairs.
    /// The whole table is checked now; it stays a slice of these bytes until it is changed.
    public mutating func readAMQPFieldTable() throws(AMQPProtocolError) -> FieldTable {
        try readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.readFieldTable() }
    }

    /// Reads a field array: a 32-bit byte length, then tagged values.
    public mutating func readAMQPFieldArray() throws(AMQPProtocolError) -> [FieldValue] {
        try readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.readFieldArray() }
    }

    /// Writes a field table; on error (a key over 255 bytes, nesting over the limit) nothing is written.
    public mutating func writeAMQPFieldTable(_ table: FieldTable) throws(AMQPProtocolError) {
        let size = try AMQPEncodedSize.fieldTable(table)
        writeAMQP(size: size) { $0.writeFieldTable(table) }
    }

    /// Writes a field array; on error nothing is written.
    public mutating func writeAMQPFieldArray(_ array: [FieldValue]) throws(AMQPProtocolError) {
        let size = try AMQPEncodedSize.fieldArray(array)
        writeAMQP(size: size) { $0.writeFieldArray(array) }
    }
}
