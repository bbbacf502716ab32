import NIOCore

/// Encoded sizes, computed before writing; they also check what could make an encoding fail
/// (a short string over 255 bytes, tables nested too deep), so a failed encode writes nothing.
public enum AMQPEncodedSize {
    /// The size of a `shortstr`; throws `shortStringTooLong` over 255 bytes.
    @inlinable
    public static func shortString(_ value: String) throws(AMQPProtocolError) -> Int {
        try shortString(utf8Count: value.utf8.count)
    }

    /// The size of a `shortstr` of `count` UTF-8 bytes; throws `shortStringTooLong` over 255.
    @inlinable
    public static func shortString(utf8Count count: Int) throws(AMQPProtocolError) -> Int {
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
