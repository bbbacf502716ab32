import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounds-checked cursor over received bytes, used by every decoder: one
/// `withUnsafeReadableBytes` per frame instead of one `ByteBuffer` call per field.
///
/// Every read checks the bytes left in the reader's window (its frame, table or value) first and
/// throws `AMQPProtocolError` instead of trapping. Long strings and bodies come back as slices of
/// the source buffer, not copies.
///
/// A reader cannot be copied: decoders take it `inout`, so no copy of its source buffer (a
/// retain and a release) is ever made on the way through a frame.
public struct AMQPReader: ~Copyable {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    /// The source buffer; `bytes` starts at its reader index.
    @usableFromInline let source: ByteBuffer
    /// The next byte to read, as an offset into `bytes`.
    @usableFromInline var offset: Int
    /// One past the last byte this reader may read now (the end of its frame, table or array).
    @usableFromInline var end: Int
    /// Where method frames' short strings are looked up before one is built (nil: always build).
    /// Not retained: a reader lives only inside one parse call, whose caller passes the cache
    /// and so holds it (the parser keeps it alive with `withExtendedLifetime` for the call).
    /// Held unmanaged, and used through `_withUnsafeGuaranteedRef`, so a lookup neither retains
    /// nor releases it.
    @usableFromInline var strings: Unmanaged<AMQPStringCache>?

    @inlinable
    init(bytes: UnsafeRawBufferPointer, source: ByteBuffer, offset: Int, end: Int) {
        self.bytes = bytes
        self.source = source
        self.offset = offset
        self.end = end
        self.strings = nil
    }

    /// Bytes left in this reader's window.
    @inlinable
    public var remaining: Int { end - offset }

    /// Narrows the reader to the next `length` bytes (a frame payload, a table) and returns
    /// what `leaveWindow` needs to widen it again.
    @inlinable @inline(__always)
    public mutating func enterWindow(length: Int) throws(AMQPProtocolError) -> Int {
        try require(length)
        let saved = end
        end = offset + length
        return saved
    }

    /// Moves past the rest of the current window and restores the one `enterWindow` saved.
    @inlinable @inline(__always)
    public mutating func leaveWindow(_ saved: Int) {
        offset = end
        end = saved
    }

    /// Throws unless `count` bytes are left in the window. A negative count (only a caller's
    /// mistake: lengths from the wire are unsigned) fails too, as an unsigned comparison, so
    /// that no read or skip can move before the window.
    @inlinable @inline(__always)
    func require(_ count: Int) throws(AMQPProtocolError) {
        guard UInt(bitPattern: count) <= UInt(bitPattern: end - offset) else {
            throw AMQPProtocolError(.truncated(needed: count, available: end - offset))
        }
    }

    @inlinable @inline(__always)
    mutating func load<T: FixedWidthInteger>(_ type: T.Type) throws(AMQPProtocolError) -> T {
        try require(MemoryLayout<T>.size)
        let value = T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return value
    }

    /// The octet at `position` (an offset into the underlying bytes, which may lie past the
    /// current window but not past the received bytes), without moving.
    @inlinable
    public func peekOctet(at position: Int) throws(AMQPProtocolError) -> UInt8 {
        guard position >= 0, position < bytes.count else {
            throw AMQPProtocolError(.truncated(needed: 1, available: 0))
        }
        return bytes.load(fromByteOffset: position, as: UInt8.self)
    }

    /// Reads an `octet`.
    @inlinable @inline(__always)
    public mutating func readOctet() throws(AMQPProtocolError) -> UInt8 { try load(UInt8.self) }

    /// Reads a `short`.
    @inlinable @inline(__always)
    public mutating func readShort() throws(AMQPProtocolError) -> UInt16 { try load(UInt16.self) }

    /// Reads a `long`.
    @inlinable @inline(__always)
    public mutating func readLong() throws(AMQPProtocolError) -> UInt32 { try load(UInt32.self) }

    /// Reads a `longlong`.
    @inlinable @inline(__always)
    public mutating func readLongLong() throws(AMQPProtocolError) -> UInt64 { try load(UInt64.self) }

    /// Reads a `timestamp`.
    @inlinable
    public mutating func readTimestamp() throws(AMQPProtocolError) -> AMQPTimestamp {
        AMQPTimestamp(secondsSince1970: try load(UInt64.self))
    }

    /// Reads a `shortstr`: an octet length and that many bytes of valid UTF-8.
    @inlinable
    public mutating func readShortString() throws(AMQPProtocolError) -> String {
        let length = Int(try load(UInt8.self))
        if let strings, length > 0 {
            return length >= AMQPStringCache.minimumLength
                ? try readUTF8(length: length, sharing: strings) : try readShortUTF8(length: length, sharing: strings)
        }
        return try readUTF8(length: length)
    }

    /// Reads `length` (1 to 15) bytes of valid UTF-8, handing out the cache's short string for
    /// them when it has one and remembering the new one otherwise. Near the end of the received
    /// bytes, where the key's 16-byte loads do not fit, it reads without the cache.
    @usableFromInline
    mutating func readShortUTF8(length: Int, sharing strings: Unmanaged<AMQPStringCache>) throws(AMQPProtocolError) -> String {
        try require(length)  // before the key: bytes past the window must not match
        guard bytes.count &- offset >= 16 else { return try readUTF8(length: length) }
        let key = AMQPStringCache.ShortKey(bytes, at: offset, count: length)
        if let known = strings._withUnsafeGuaranteedRef({ $0.shortString(matching: key) }) {
            offset += length
            return known
        }
        let string = try readUTF8(length: length)
        strings._withUnsafeGuaranteedRef { $0.rememberShort(string, key: key) }
        return string
    }

    /// Reads `length` bytes of valid UTF-8, handing out the cache's string for them when it has
    /// one and remembering the new one otherwise.
    @usableFromInline
    mutating func readUTF8(length: Int, sharing strings: Unmanaged<AMQPStringCache>) throws(AMQPProtocolError) -> String {
        try require(length)
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
        if let known = strings._withUnsafeGuaranteedRef({ $0.string(matching: utf8) }) {
            offset += length
            return known
        }
        let string = try readUTF8(length: length)
        strings._withUnsafeGuaranteedRef { $0.remember(string) }
        return string
    }

    /// Moves past a `shortstr` after checking that it is valid UTF-8, without building it.
    @inlinable @inline(__always)
    public mutating func checkShortString() throws(AMQPProtocolError) {
        let length = Int(try load(UInt8.self))
        try require(length)
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
        guard isASCII(utf8, at: offset) || AMQPReader.isValidUTF8(utf8) else {
            throw AMQPProtocolError(.invalidUTF8)
        }
        offset += length
    }

    /// Whether `utf8` is valid UTF-8: the general check, out of line, for what is not ASCII.
    @usableFromInline @inline(never)
    static func isValidUTF8(_ utf8: UnsafeRawBufferPointer) -> Bool {
        String(validating: utf8, as: UTF8.self) != nil
    }

    /// Whether `utf8`, bytes of this reader's that start at `start` (inside the window), are all
    /// ASCII. Up to eight bytes (keys, short names) are tested with one load when eight bytes
    /// follow `start` in the received bytes, which may run past the window but never past
    /// `bytes`; the bytes past `utf8` are masked off.
    @inlinable @inline(__always)
    func isASCII(_ utf8: UnsafeRawBufferPointer, at start: Int) -> Bool {
        let count = utf8.count
        assert(start >= 0 && start + count <= bytes.count && utf8.baseAddress == bytes.baseAddress.map { $0 + start },
               "isASCII(_:at:) given bytes that are not the reader's at start")
        if count <= 8, bytes.count - start >= 8 {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self))
            let wanted = UInt64.max >> (64 - 8 * count)  // the first `count` bytes; 0 for none
            return word & wanted & 0x8080_8080_8080_8080 == 0
        }
        return AMQPReader.isASCII(utf8)
    }

    /// Skips a `shortstr` without decoding it.
    @inlinable
    public mutating func skipShortString() throws(AMQPProtocolError) {
        let length = Int(try load(UInt8.self))
        try skip(length)
    }

    /// Skips `count` bytes.
    @inlinable @inline(__always)
    public mutating func skip(_ count: Int) throws(AMQPProtocolError) {
        try require(count)
        offset += count
    }

    /// Reads `length` bytes of valid UTF-8.
    @inlinable
    mutating func readUTF8(length: Int) throws(AMQPProtocolError) -> String {
        guard let string = try peekString(length: length) else { throw AMQPProtocolError(.invalidUTF8) }
        offset += length
        return string
    }

    /// The next `length` bytes as a string, or nil when they are not valid UTF-8; does not move.
    @inlinable @inline(__always)
    func peekString(length: Int) throws(AMQPProtocolError) -> String? {
        try require(length)
        if length == 0 { return "" }
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
        if length > 15, let common = AMQPReader.commonString(utf8) { return common }
        return AMQPReader.makeString(utf8, isASCII: isASCII(utf8, at: offset))
    }

    /// A string from UTF-8 bytes, or nil when they are not valid UTF-8; `isASCII` says whether
    /// the caller found them all ASCII (the caller also answers the empty string and looks up
    /// the common content types first). ASCII (the common case for names, keys and content
    /// types) skips the general validator and is copied in as it is (`String(decoding:)` would
    /// check the bytes a second time).
    @inlinable @inline(__always)
    static func makeString(_ utf8: UnsafeRawBufferPointer, isASCII: Bool) -> String? {
        if isASCII {
            return String(unsafeUninitializedCapacity: utf8.count) { buffer in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: utf8)
                return utf8.count
            }
        }
        return String(validating: utf8, as: UTF8.self)
    }

    /// Strings over 15 bytes need a heap allocation each; the content types that nearly every
    /// message carries are handed out from these literals instead.
    @usableFromInline
    static let commonStrings: [String] = [
        "application/json",
        "application/octet-stream",
        "application/x-protobuf",
        "application/protobuf",
        "application/xml",
        "text/plain; charset=utf-8",
        "application/json; charset=utf-8",
    ]

    @usableFromInline
    static func commonString(_ utf8: UnsafeRawBufferPointer) -> String? {
        for candidate in commonStrings where candidate.utf8.count == utf8.count {
            let equal = candidate.utf8.withContiguousStorageIfAvailable { literal in
                memcmp(literal.baseAddress!, utf8.baseAddress!, utf8.count) == 0
            }
            if equal == true { return candidate }
        }
        return nil
    }

    @inlinable
    static func isASCII(_ utf8: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = utf8.count
        while index + 8 <= count {
            if utf8.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            index += 8
        }
        while index < count {
            if utf8[index] & 0x80 != 0 { return false }
            index += 1
        }
        return true
    }

    /// Reads a `longstr` as a slice of the source buffer.
    @inlinable
    public mutating func readLongString() throws(AMQPProtocolError) -> ByteBuffer {
        let length = Int(try load(UInt32.self))
        return try readSlice(length: length)
    }

    /// Skips a `longstr` (or anything with a 32-bit length prefix).
    @inlinable @inline(__always)
    public mutating func skipLongString() throws(AMQPProtocolError) {
        let length = Int(try load(UInt32.self))
        try skip(length)
    }

    /// The next `length` bytes as a slice of the source buffer.
    @inlinable @inline(__always)
    public mutating func readSlice(length: Int) throws(AMQPProtocolError) -> ByteBuffer {
        try require(length)
        // In range: `bytes` covers the source's readable bytes and `require` checked the window.
        guard let slice = slice(at: offset, length: length) else {
            throw AMQPProtocolError(.truncated(needed: length, available: end - offset))
        }
        offset += length
        return slice
    }

    /// `length` bytes from `start` (an offset into `bytes`) as a slice of the source buffer.
    /// Not mutating: sliced from inside `readSlice` (which is), the source was copied first, a
    /// retain and a release around every body.
    @inlinable @inline(__always)
    func slice(at start: Int, length: Int) -> ByteBuffer? {
        source.getSlice(at: source.readerIndex + start, length: length)
    }

    /// Where the next read starts; `slice(from:)` takes such a position.
    @inlinable
    public var position: Int { offset }

    /// The bytes from `start` (a `position` taken earlier) to the current position, as a slice
    /// of the source buffer.
    @inlinable
    public func slice(from start: Int) -> ByteBuffer {
        slice(at: start, length: offset - start) ?? ByteBuffer()
    }

    /// Checks a field table (structure, UTF-8 keys, nesting) and moves past it without building it.
    @inlinable
    public mutating func checkFieldTable() throws(AMQPProtocolError) {
        _ = try skipFieldTable(depth: 1)
    }

    /// Reads a field table, checking all of it now (so later access cannot fail) and keeping it
    /// as a slice of its wire bytes until someone looks inside.
    @inlinable
    public mutating func readFieldTable() throws(AMQPProtocolError) -> FieldTable {
        try readFieldTable(depth: 1)
    }

    @usableFromInline
    mutating func readFieldTable(depth: Int) throws(AMQPProtocolError) -> FieldTable {
        let start = try skipFieldTable(depth: depth)
        return FieldTable(validatedWire: slice(from: start))
    }

    /// Checks a field table at nesting level `depth` and moves past it; returns the offset of
    /// its first entry.
    @usableFromInline
    mutating func skipFieldTable(depth: Int) throws(AMQPProtocolError) -> Int {
        let saved = try enterNested(depth: depth)
        let start = offset
        while offset < end {
            try checkShortString()  // the key
            try skipFieldValue(depth: depth)
        }
        leaveWindow(saved)
        return start
    }

    /// Checks a field array at nesting level `depth` and moves past it.
    @usableFromInline
    mutating func skipFieldArray(depth: Int) throws(AMQPProtocolError) {
        let saved = try enterNested(depth: depth)
        while offset < end { try skipFieldValue(depth: depth) }
        leaveWindow(saved)
    }

    /// Checks the nesting limit, reads a table's or array's length and enters its window.
    @inlinable @inline(__always)
    mutating func enterNested(depth: Int) throws(AMQPProtocolError) -> Int {
        guard depth <= FieldTable.maxNestingDepth else {
            throw AMQPProtocolError(.nestingTooDeep(limit: FieldTable.maxNestingDepth))
        }
        let length = Int(try load(UInt32.self))
        return try enterWindow(length: length)
    }

    /// Reads a field array (decoded at once: arrays are rare and small).
    @inlinable
    public mutating func readFieldArray() throws(AMQPProtocolError) -> [FieldValue] {
        try readFieldArray(depth: 1)
    }

    @usableFromInline
    mutating func readFieldArray(depth: Int) throws(AMQPProtocolError) -> [FieldValue] {
        let saved = try enterNested(depth: depth)
        var values: [FieldValue] = []
        while offset < end {
            values.append(try readFieldValue(depth: depth))
        }
        leaveWindow(saved)
        return values
    }

    /// Checks one tagged value at nesting level `depth` and moves past it.
    /// Inlined into the loops over a table's or array's values; only a nested table or array
    /// costs a call.
    @inlinable @inline(__always)
    mutating func skipFieldValue(depth: Int) throws(AMQPProtocolError) {
        let tag = try load(UInt8.self)
        switch tag {
        case UInt8(ascii: "S"), UInt8(ascii: "x"): try skipLongString()
        case UInt8(ascii: "t"), UInt8(ascii: "b"), UInt8(ascii: "B"): try skip(1)
        case UInt8(ascii: "s"), UInt8(ascii: "u"): try skip(2)
        case UInt8(ascii: "I"), UInt8(ascii: "i"), UInt8(ascii: "f"): try skip(4)
        case UInt8(ascii: "D"): try skip(5)
        case UInt8(ascii: "l"), UInt8(ascii: "d"), UInt8(ascii: "T"): try skip(8)
        case UInt8(ascii: "A"), UInt8(ascii: "F"): try skipNested(tag: tag, depth: depth + 1)
        case UInt8(ascii: "V"): break
        default: throw AMQPProtocolError(.unknownFieldType(tag))
        }
    }

    /// Checks a table or array nested at level `depth` and moves past it.
    @usableFromInline @inline(never)
    mutating func skipNested(tag: UInt8, depth: Int) throws(AMQPProtocolError) {
        if tag == UInt8(ascii: "A") {
            try skipFieldArray(depth: depth)
        } else {
            _ = try skipFieldTable(depth: depth)
        }
    }

    /// Reads one tagged value at nesting level `depth`.
    @usableFromInline
    mutating func readFieldValue(depth: Int) throws(AMQPProtocolError) -> FieldValue {
        let tag = try load(UInt8.self)
        switch tag {
        case UInt8(ascii: "t"): return .boolean(try load(UInt8.self) != 0)
        case UInt8(ascii: "b"): return .int8(try load(Int8.self))
        case UInt8(ascii: "B"): return .uint8(try load(UInt8.self))
        case UInt8(ascii: "s"): return .int16(try load(Int16.self))
        case UInt8(ascii: "u"): return .uint16(try load(UInt16.self))
        case UInt8(ascii: "I"): return .int32(try load(Int32.self))
        case UInt8(ascii: "i"): return .uint32(try load(UInt32.self))
        case UInt8(ascii: "l"): return .int64(try load(Int64.self))
        case UInt8(ascii: "f"): return .float(Float(bitPattern: try load(UInt32.self)))
        case UInt8(ascii: "d"): return .double(Double(bitPattern: try load(UInt64.self)))
        case UInt8(ascii: "D"):
            let scale = try load(UInt8.self)
            return .decimal(AMQPDecimal(scale: scale, value: try load(Int32.self)))
        case UInt8(ascii: "S"):
            let length = Int(try load(UInt32.self))
            if let string = try peekString(length: length) {
                offset += length
                return .string(string)
            }
            return .binaryString(try readSlice(length: length))
        case UInt8(ascii: "A"): return .array(try readFieldArray(depth: depth + 1))
        case UInt8(ascii: "T"): return .timestamp(try readTimestamp())
        case UInt8(ascii: "F"): return .table(try readFieldTable(depth: depth + 1))
        case UInt8(ascii: "V"): return .void
        case UInt8(ascii: "x"): return .bytes(try readLongString())
        default: throw AMQPProtocolError(.unknownFieldType(tag))
        }
    }
}
