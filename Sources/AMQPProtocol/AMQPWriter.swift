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

    /// Leaves `count` bytes to be set later (with `setShort(_:at:)`) and returns where they start.
    @inlinable
    public mutating func skip(_ count: Int) -> Int {
        let start = offset
        offset += count
        return start
    }

    /// The bytes written from `start` (an offset `skip(_:)` returned) to here.
    @inlinable
    public func written(since start: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + start, count: offset - start)
    }

    /// Sets a `short` at `position`, in room that `skip(_:)` left earlier.
    @inlinable
    public mutating func setShort(_ value: UInt16, at position: Int) {
        base.storeBytes(of: value.bigEndian, toByteOffset: position, as: UInt16.self)
    }

    /// Writes a `long`.
    @inlinable
    public mutating func writeLong(_ value: UInt32) { store(value) }

    /// Writes a `longlong`.
    @inlinable
    public mutating func writeLongLong(_ value: UInt64) { store(value) }

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
