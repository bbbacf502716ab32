import NIOCore

/// A cursor that writes into memory already reserved for exactly what it will write, used by
/// every encoder: the size is computed (and checked) first by `AMQPEncodedSize`, then one
/// `writeWithUnsafeMutableBytes` writes the whole frame.
///
/// The writer does not check bounds: only call it for values whose encoded size was computed
/// and reserved beforehand.
public struct AMQPWriter {
    @usableFromInline let base: UnsafeMutableRawPointer
    /// The number of bytes written so far.
    @usableFromInline var offset: Int

    @inlinable
    init(base: UnsafeMutableRawPointer) {
        self.base = base
        self.offset = 0
    }

    @inlinable @inline(__always)
    mutating func store<T: FixedWidthInteger>(_ value: T) {
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
    }

    /// Writes an `octet`.
    @inlinable
    public mutating func writeOctet(_ value: UInt8) { store(value) }

    /// Writes a `short`.
    @inlinable
    public mutating func writeShort(_ value: UInt16) { store(value) }

    /// Writes a `long`.
    @inlinable
    public mutating func writeLong(_ value: UInt32) { store(value) }

    /// Writes a `longlong`.
    @inlinable
    public mutating func writeLongLong(_ value: UInt64) { store(value) }

    /// Writes a signed integer of any width (field values).
    @inlinable
    public mutating func writeSigned<T: FixedWidthInteger & SignedInteger>(_ value: T) { store(value) }

    /// Writes a `timestamp`.
    @inlinable
    public mutating func writeTimestamp(_ value: AMQPTimestamp) { store(value.secondsSince1970) }

    /// Writes a `shortstr` whose length (at most 255) `AMQPEncodedSize.shortString` checked.
    @inlinable
    public mutating func writeShortString(_ value: String) {
        store(UInt8(truncatingIfNeeded: value.utf8.count))
        writeUTF8(value)
    }

    /// Writes a `longstr` from bytes.
    @inlinable
    public mutating func writeLongString(_ value: ByteBuffer) {
        store(UInt32(truncatingIfNeeded: value.readableBytes))
        writeBytes(of: value)
    }

    /// Writes a `longstr` from a string's UTF-8.
    @inlinable
    public mutating func writeLongString(_ value: String) {
        store(UInt32(truncatingIfNeeded: value.utf8.count))
        writeUTF8(value)
    }

    /// Copies the readable bytes of `value`.
    @inlinable
    public mutating func writeBytes(of value: ByteBuffer) {
        let count = value.readableBytes
        guard count > 0 else { return }
        value.withUnsafeReadableBytes { bytes in
            (base + offset).copyMemory(from: bytes.baseAddress!, byteCount: count)
        }
        offset += count
    }

    /// Copies raw bytes.
    @inlinable
    public mutating func writeRaw(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        (base + offset).copyMemory(from: source, byteCount: bytes.count)
        offset += bytes.count
    }

    @inlinable
    mutating func writeUTF8(_ value: String) {
        let count = value.utf8.count
        guard count > 0 else { return }
        let copied: Void? = value.utf8.withContiguousStorageIfAvailable { utf8 in
            (base + offset).copyMemory(from: utf8.baseAddress!, byteCount: count)
        }
        if copied == nil {
            var index = offset
            for byte in value.utf8 {
                base.storeBytes(of: byte, toByteOffset: index, as: UInt8.self)
                index += 1
            }
        }
        offset += count
    }

    /// Writes a field table whose size `AMQPEncodedSize.fieldTable` computed. A table that was
    /// decoded and not changed is copied as it came.
    @inlinable
    public mutating func writeFieldTable(_ table: FieldTable) {
        switch table.storage {
        case .wire(let bytes):
            writeLongString(bytes)
        case .entries(let entries):
            let start = offset
            offset += 4
            for entry in entries {
                writeShortString(entry.key)
                writeFieldValue(entry.value)
            }
            base.storeBytes(of: UInt32(truncatingIfNeeded: offset - start - 4).bigEndian, toByteOffset: start, as: UInt32.self)
        }
    }

    /// Writes a field array whose size `AMQPEncodedSize.fieldArray` computed.
    @inlinable
    public mutating func writeFieldArray(_ array: [FieldValue]) {
        let start = offset
        offset += 4
        for value in array {
            writeFieldValue(value)
        }
        base.storeBytes(of: UInt32(truncatingIfNeeded: offset - start - 4).bigEndian, toByteOffset: start, as: UInt32.self)
    }

    /// Writes one tagged value.
    @usableFromInline
    mutating func writeFieldValue(_ value: FieldValue) {
        store(value.typeTag)
        switch value {
        case .boolean(let bool): store(UInt8(bool ? 1 : 0))
        case .int8(let int): store(int)
        case .uint8(let int): store(int)
        case .int16(let int): store(int)
        case .uint16(let int): store(int)
        case .int32(let int): store(int)
        case .uint32(let int): store(int)
        case .int64(let int): store(int)
        case .float(let float): store(float.bitPattern)
        case .double(let double): store(double.bitPattern)
        case .decimal(let decimal):
            store(decimal.scale)
            store(decimal.value)
        case .string(let string): writeLongString(string)
        case .binaryString(let bytes), .bytes(let bytes): writeLongString(bytes)
        case .array(let array): writeFieldArray(array)
        case .timestamp(let timestamp): store(timestamp.secondsSince1970)
        case .table(let table): writeFieldTable(table)
        case .void: break
        }
    }
}

/// Encoded sizes, computed before writing; they also check what could make an encoding fail
/// (a short string over 255 bytes, tables nested too deep), so a failed encode writes nothing.
public enum AMQPEncodedSize {
    /// The size of a `shortstr`; throws `shortStringTooLong` over 255 bytes.
    @inlinable
    public static func shortString(_ value: String) throws(AMQPProtocolError) -> Int {
        let count = value.utf8.count
        guard count <= AMQPLimits.maxShortStringLength else { throw AMQPProtocolError(.shortStringTooLong(length: count)) }
        return 1 + count
    }

    /// The size of a `longstr`.
    @inlinable
    public static func longString(_ value: ByteBuffer) -> Int { 4 + value.readableBytes }

    /// The size of a field table; checks keys and nesting.
    @inlinable
    public static func fieldTable(_ table: FieldTable) throws(AMQPProtocolError) -> Int {
        try fieldTable(table, depth: 1)
    }

    /// The size of a field array; checks nesting.
    @inlinable
    public static func fieldArray(_ array: [FieldValue]) throws(AMQPProtocolError) -> Int {
        try fieldArray(array, depth: 1)
    }

    @usableFromInline
    static func fieldTable(_ table: FieldTable, depth: Int) throws(AMQPProtocolError) -> Int {
        switch table.storage {
        case .wire(let bytes):
            // Checked when decoded, as a table at level 1; deeper placement could exceed the limit.
            if depth > 1 { try checkNesting(of: table, depth: depth) }
            return 4 + bytes.readableBytes
        case .entries(let entries):
            guard depth <= FieldTable.maxNestingDepth else {
                throw AMQPProtocolError(.nestingTooDeep(limit: FieldTable.maxNestingDepth))
            }
            var size = 4
            for entry in entries {
                size += try shortString(entry.key)
                size += try fieldValue(entry.value, depth: depth)
            }
            return size
        }
    }

    @usableFromInline
    static func checkNesting(of table: FieldTable, depth: Int) throws(AMQPProtocolError) {
        guard depth <= FieldTable.maxNestingDepth else {
            throw AMQPProtocolError(.nestingTooDeep(limit: FieldTable.maxNestingDepth))
        }
        for entry in table {
            _ = try fieldValue(entry.value, depth: depth)
        }
    }

    @usableFromInline
    static func fieldArray(_ array: [FieldValue], depth: Int) throws(AMQPProtocolError) -> Int {
        guard depth <= FieldTable.maxNestingDepth else {
            throw AMQPProtocolError(.nestingTooDeep(limit: FieldTable.maxNestingDepth))
        }
        var size = 4
        for value in array {
            size += try fieldValue(value, depth: depth)
        }
        return size
    }

    /// The size of one tagged value at nesting level `depth`, tag included.
    @usableFromInline
    static func fieldValue(_ value: FieldValue, depth: Int) throws(AMQPProtocolError) -> Int {
        switch value {
        case .boolean, .int8, .uint8: return 2
        case .int16, .uint16: return 3
        case .int32, .uint32, .float: return 5
        case .decimal: return 6
        case .int64, .double, .timestamp: return 9
        case .string(let string): return 5 + string.utf8.count
        case .binaryString(let bytes), .bytes(let bytes): return 5 + bytes.readableBytes
        case .array(let array): return 1 + (try fieldArray(array, depth: depth + 1))
        case .table(let table): return 1 + (try fieldTable(table, depth: depth + 1))
        case .void: return 1
        }
    }
}

extension ByteBuffer {
    /// Reserves `size` bytes, lets `body` write exactly that many through an `AMQPWriter`, and
    /// commits them.
    @inlinable
    public mutating func writeAMQP(size: Int, _ body: (inout AMQPWriter) -> Void) {
        guard size > 0 else { return }
        writeWithUnsafeMutableBytes(minimumWritableBytes: size) { bytes in
            var writer = AMQPWriter(base: bytes.baseAddress!)
            body(&writer)
            return writer.offset
        }
    }
}
