import NIOCore

/// Field tables and arrays on the wire. Each nested table or array adds a level; past
/// `FieldTable.maxNestingDepth` levels decoding stops with `nestingTooDeep` before it recurses.
extension ByteBuffer {
    /// Reads a field table: a 32-bit byte length, then (short string key, tagged value) pairs.
    public mutating func readAMQPFieldTable() throws(AMQPProtocolError) -> FieldTable {
        try readAMQPFieldTable(depth: 1)
    }

    /// Reads a field array: a 32-bit byte length, then tagged values.
    public mutating func readAMQPFieldArray() throws(AMQPProtocolError) -> [FieldValue] {
        try readAMQPFieldArray(depth: 1)
    }

    /// Writes a field table; on error nothing is left written.
    public mutating func writeAMQPFieldTable(_ table: FieldTable) throws(AMQPProtocolError) {
        try writeAMQPFieldTable(table, depth: 1)
    }

    /// Writes a field array; on error nothing is left written.
    public mutating func writeAMQPFieldArray(_ array: [FieldValue]) throws(AMQPProtocolError) {
        try writeAMQPFieldArray(array, depth: 1)
    }

    // MARK: - Reading

    private mutating func readAMQPSizedSlice() throws(AMQPProtocolError) -> ByteBuffer {
        let length = Int(try readAMQPLong())
        guard length <= readableBytes, let slice = readSlice(length: length) else {
            throw AMQPProtocolError(.truncated(needed: length, available: readableBytes))
        }
        return slice
    }

    mutating func readAMQPFieldTable(depth: Int) throws(AMQPProtocolError) -> FieldTable {
        guard depth <= FieldTable.maxNestingDepth else {
            throw AMQPProtocolError(.nestingTooDeep(limit: FieldTable.maxNestingDepth))
        }
        var slice = try readAMQPSizedSlice()
        var entries: [FieldTable.Element] = []
        while slice.readableBytes > 0 {
            let key = try slice.readAMQPShortString()
            let value = try slice.readAMQPFieldValue(depth: depth)
            entries.append((key, value))
        }
        return FieldTable(entries)
    }

    mutating func readAMQPFieldArray(depth: Int) throws(AMQPProtocolError) -> [FieldValue] {
        guard depth <= FieldTable.maxNestingDepth else {
            throw AMQPProtocolError(.nestingTooDeep(limit: FieldTable.maxNestingDepth))
        }
        var slice = try readAMQPSizedSlice()
        var values: [FieldValue] = []
        while slice.readableBytes > 0 {
            values.append(try slice.readAMQPFieldValue(depth: depth))
        }
        return values
    }

    /// Reads one tagged value that sits at nesting level `depth`.
    mutating func readAMQPFieldValue(depth: Int) throws(AMQPProtocolError) -> FieldValue {
        let tag = try readAMQPOctet()
        switch tag {
        case UInt8(ascii: "t"): return .boolean(try readAMQPOctet() != 0)
        case UInt8(ascii: "b"): return .int8(try readAMQPInteger(as: Int8.self))
        case UInt8(ascii: "B"): return .uint8(try readAMQPOctet())
        case UInt8(ascii: "s"): return .int16(try readAMQPInteger(as: Int16.self))
        case UInt8(ascii: "u"): return .uint16(try readAMQPShort())
        case UInt8(ascii: "I"): return .int32(try readAMQPInteger(as: Int32.self))
        case UInt8(ascii: "i"): return .uint32(try readAMQPLong())
        case UInt8(ascii: "l"): return .int64(try readAMQPInteger(as: Int64.self))
        case UInt8(ascii: "f"): return .float(Float(bitPattern: try readAMQPLong()))
        case UInt8(ascii: "d"): return .double(Double(bitPattern: try readAMQPLongLong()))
        case UInt8(ascii: "D"):
            let scale = try readAMQPOctet()
            return .decimal(AMQPDecimal(scale: scale, value: try readAMQPInteger(as: Int32.self)))
        case UInt8(ascii: "S"):
            let bytes = try readAMQPLongString()
            let string = bytes.withUnsafeReadableBytes { String(validating: $0, as: UTF8.self) }
            return string.map(FieldValue.string) ?? .binaryString(bytes)
        case UInt8(ascii: "A"): return .array(try readAMQPFieldArray(depth: depth + 1))
        case UInt8(ascii: "T"): return .timestamp(try readAMQPTimestamp())
        case UInt8(ascii: "F"): return .table(try readAMQPFieldTable(depth: depth + 1))
        case UInt8(ascii: "V"): return .void
        case UInt8(ascii: "x"): return .bytes(try readAMQPLongString())
        default: throw AMQPProtocolError(.unknownFieldType(tag))
        }
    }

    // MARK: - Writing

    /// Runs `body` between a 32-bit length placeholder and its backfill; undoes everything on error.
    private mutating func writeAMQPSized(_ body: (inout ByteBuffer) throws(AMQPProtocolError) -> Void) throws(AMQPProtocolError) {
        let start = writerIndex
        writeInteger(UInt32(0))
        do {
            try body(&self)
        } catch {
            moveWriterIndex(to: start)
            throw error
        }
        let length = writerIndex - start - 4
        setInteger(UInt32(truncatingIfNeeded: length), at: start, endianness: .big)
    }

    mutating func writeAMQPFieldTable(_ table: FieldTable, depth: Int) throws(AMQPProtocolError) {
        guard depth <= FieldTable.maxNestingDepth else {
            throw AMQPProtocolError(.nestingTooDeep(limit: FieldTable.maxNestingDepth))
        }
        try writeAMQPSized { (buffer: inout ByteBuffer) throws(AMQPProtocolError) in
            for entry in table.entries {
                try buffer.writeAMQPShortString(entry.key)
                try buffer.writeAMQPFieldValue(entry.value, depth: depth)
            }
        }
    }

    mutating func writeAMQPFieldArray(_ array: [FieldValue], depth: Int) throws(AMQPProtocolError) {
        guard depth <= FieldTable.maxNestingDepth else {
            throw AMQPProtocolError(.nestingTooDeep(limit: FieldTable.maxNestingDepth))
        }
        try writeAMQPSized { (buffer: inout ByteBuffer) throws(AMQPProtocolError) in
            for value in array {
                try buffer.writeAMQPFieldValue(value, depth: depth)
            }
        }
    }

    /// Writes one tagged value that sits at nesting level `depth`.
    mutating func writeAMQPFieldValue(_ value: FieldValue, depth: Int) throws(AMQPProtocolError) {
        writeInteger(value.typeTag)
        switch value {
        case .boolean(let bool): writeInteger(UInt8(bool ? 1 : 0))
        case .int8(let int): writeInteger(int)
        case .uint8(let int): writeInteger(int)
        case .int16(let int): writeInteger(int, endianness: .big)
        case .uint16(let int): writeInteger(int, endianness: .big)
        case .int32(let int): writeInteger(int, endianness: .big)
        case .uint32(let int): writeInteger(int, endianness: .big)
        case .int64(let int): writeInteger(int, endianness: .big)
        case .float(let float): writeInteger(float.bitPattern, endianness: .big)
        case .double(let double): writeInteger(double.bitPattern, endianness: .big)
        case .decimal(let decimal):
            writeInteger(decimal.scale)
            writeInteger(decimal.value, endianness: .big)
        case .string(let string): writeAMQPLongString(string)
        case .binaryString(let bytes), .bytes(let bytes): writeAMQPLongString(bytes)
        case .array(let array): try writeAMQPFieldArray(array, depth: depth + 1)
        case .timestamp(let timestamp): writeAMQPTimestamp(timestamp)
        case .table(let table): try writeAMQPFieldTable(table, depth: depth + 1)
        case .void: break
        }
    }
}
