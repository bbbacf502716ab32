import AMQPProtocol
import NIOCore
import Testing

/// Malformed values inside frames: lengths past their bounds, unknown field types, nesting and UTF-8.
@Suite("Malformed values")
struct ValueErrorTests {
    static let heartbeat: [UInt8] = [0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xCE]

    /// A table nested `depth` levels deep (the outer table is level 1), built by hand from the inside out.
    /// Each level is `{"n": F <next level>}`; the innermost table is empty.
    static func nestedTables(depth: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(7 * depth)
        for level in 1..<max(depth, 1) {
            // The table at `level` holds 3 bytes of entry header plus the table at `level + 1`,
            // whose total size is 4 + 7 * (depth - level - 1).
            bytes += be32(UInt32(3 + 4 + 7 * (depth - level - 1))) + [0x01, UInt8(ascii: "n"), UInt8(ascii: "F")]
        }
        return bytes + [0x00, 0x00, 0x00, 0x00]
    }

    /// A table (level 1) holding `{"a": A [A [ ... [] ]]}` with arrays down to level `depth`.
    static func nestedArrays(depth: Int) -> [UInt8] {
        var array: [UInt8] = [0x00, 0x00, 0x00, 0x00]  // the innermost array, at level `depth`
        for _ in 2..<depth {
            array = be32(UInt32(array.count + 1)) + [UInt8(ascii: "A")] + array
        }
        let entry: [UInt8] = [0x01, UInt8(ascii: "a"), UInt8(ascii: "A")] + array
        return be32(UInt32(entry.count)) + entry
    }

    /// Walks `{"n": F {...}}` down and returns how many tables deep it goes.
    static func depth(of table: FieldTable) -> Int {
        guard case .table(let inner)? = table["n"] else { return 1 }
        return 1 + depth(of: inner)
    }

    // MARK: Lengths past the end of their frame

    @Test("a shortstr length past its frame (the next frame's bytes are not borrowed)")
    func shortStringPastFrame() {
        // connection.open with virtual-host length 10 but 3 bytes left in the frame.
        let payload: [UInt8] = [0x00, 0x0A, 0x00, 0x28, 0x0A] + ascii("abc")
        expectParseError(rawFrame(type: 1, channel: 0, payload: payload) + Self.heartbeat,
                         throws: AMQPProtocolError(.truncated(needed: 10, available: 3), frameType: 1, channel: 0))
    }

    @Test("a longstr length past its frame")
    func longStringPastFrame() {
        // connection.secure with a 100-byte challenge announced, 2 bytes present.
        let payload: [UInt8] = [0x00, 0x0A, 0x00, 0x14, 0x00, 0x00, 0x00, 0x64, 0x01, 0x02]
        expectParseError(rawFrame(type: 1, channel: 0, payload: payload) + Self.heartbeat,
                         throws: AMQPProtocolError(.truncated(needed: 100, available: 2), frameType: 1, channel: 0))
        var buffer = ByteBuffer(bytes: [0x00, 0x00, 0x01, 0x00, 0xAA])
        #expect(throws: AMQPProtocolError(.truncated(needed: 256, available: 1))) {
            _ = try buffer.readAMQPLongString()
        }
    }

    @Test("a field table length past its frame")
    func tableLengthPastFrame() {
        // connection.start-ok whose client-properties claim 0xFFFFFFFF bytes.
        let payload: [UInt8] = [0x00, 0x0A, 0x00, 0x0B, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00]
        expectParseError(rawFrame(type: 1, channel: 0, payload: payload),
                         throws: AMQPProtocolError(.truncated(needed: 0xFFFF_FFFF, available: 2), frameType: 1, channel: 0))
        // In the headers of a content header frame.
        let header: [UInt8] = [0x00, 0x3C, 0x00, 0x00] + be64(0) + [0x20, 0x00] + [0x00, 0x00, 0x10, 0x00, 0x01]
        expectParseError(rawFrame(type: 2, channel: 6, payload: header) + Self.heartbeat,
                         throws: AMQPProtocolError(.truncated(needed: 4096, available: 1), frameType: 2, channel: 6))
    }

    @Test("a key or value running past its table's own length")
    func valuePastTable() {
        // Table of 3 bytes whose key claims 5; more bytes follow the table.
        var buffer = ByteBuffer(bytes: [0x00, 0x00, 0x00, 0x03, 0x05] + ascii("ab") + ascii("cdefgh"))
        #expect(throws: AMQPProtocolError(.truncated(needed: 5, available: 2))) {
            _ = try buffer.readAMQPFieldTable()
        }
        // Table of 6 bytes: key "k", type 'I', only 3 of the 4 value bytes inside the table.
        var second = ByteBuffer(bytes: [0x00, 0x00, 0x00, 0x06, 0x01, 0x6B, 0x49, 0x00, 0x00, 0x00, 0x00, 0x00])
        #expect(throws: AMQPProtocolError(.truncated(needed: 4, available: 3))) {
            _ = try second.readAMQPFieldTable()
        }
        // A field array whose 'S' claims more than the array holds.
        var third = ByteBuffer(bytes: [0x00, 0x00, 0x00, 0x06, 0x53, 0x00, 0x00, 0x00, 0x09, 0x41] + ascii("more bytes"))
        #expect(throws: AMQPProtocolError(.truncated(needed: 9, available: 1))) {
            _ = try third.readAMQPFieldArray()
        }
    }

    // MARK: Field types and nesting

    @Test("an unknown field value type")
    func unknownFieldType() {
        var buffer = ByteBuffer(bytes: [0x00, 0x00, 0x00, 0x03, 0x01, 0x6B, 0x5A])  // {"k": 'Z'}
        #expect(throws: AMQPProtocolError(.unknownFieldType(0x5A))) {
            _ = try buffer.readAMQPFieldTable()
        }
        var array = ByteBuffer(bytes: [0x00, 0x00, 0x00, 0x01, 0x00])
        #expect(throws: AMQPProtocolError(.unknownFieldType(0x00))) {
            _ = try array.readAMQPFieldArray()
        }
        // Inside a connection.start-ok frame.
        let payload: [UInt8] = [0x00, 0x0A, 0x00, 0x0B, 0x00, 0x00, 0x00, 0x03, 0x01, 0x6B, 0x5A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
        expectParseError(rawFrame(type: 1, channel: 0, payload: payload),
                         throws: AMQPProtocolError(.unknownFieldType(0x5A), frameType: 1, channel: 0))
    }

    @Test("field tables nested 32 deep decode; 33 deep is nestingTooDeep")
    func tableNesting() throws {
        var ok = ByteBuffer(bytes: Self.nestedTables(depth: 32))
        let table = try ok.readAMQPFieldTable()
        #expect(Self.depth(of: table) == 32)
        #expect(ok.readableBytes == 0)

        var deep = ByteBuffer(bytes: Self.nestedTables(depth: 33))
        #expect(throws: AMQPProtocolError(.nestingTooDeep(limit: 32))) {
            _ = try deep.readAMQPFieldTable()
        }
        // Very deep input stops at the limit instead of recursing (no stack overflow).
        var hostile = ByteBuffer(bytes: Self.nestedTables(depth: 100_000))
        #expect(throws: AMQPProtocolError(.nestingTooDeep(limit: 32))) {
            _ = try hostile.readAMQPFieldTable()
        }
        // In the headers of a content header frame.
        let header: [UInt8] = [0x00, 0x3C, 0x00, 0x00] + be64(0) + [0x20, 0x00] + Self.nestedTables(depth: 33)
        expectParseError(rawFrame(type: 2, channel: 1, payload: header),
                         throws: AMQPProtocolError(.nestingTooDeep(limit: 32), frameType: 2, channel: 1))
    }

    @Test("field arrays count as nesting levels too")
    func arrayNesting() throws {
        var ok = ByteBuffer(bytes: Self.nestedArrays(depth: 32))
        _ = try ok.readAMQPFieldTable()
        #expect(ok.readableBytes == 0)
        var deep = ByteBuffer(bytes: Self.nestedArrays(depth: 33))
        #expect(throws: AMQPProtocolError(.nestingTooDeep(limit: 32))) {
            _ = try deep.readAMQPFieldTable()
        }
    }

    @Test("encoding a table nested 33 deep fails and writes nothing; 32 deep encodes")
    func encodeNesting() throws {
        func nested(_ depth: Int) -> FieldTable {
            var table = FieldTable()
            for _ in 1..<depth {
                table = ["n": .table(table)]
            }
            return table
        }
        var buffer = ByteBuffer(bytes: [1, 2, 3])
        try buffer.writeAMQPFieldTable(nested(32))
        #expect(buffer.getSlice(at: 3, length: buffer.readableBytes - 3)?.bytes == Self.nestedTables(depth: 32))

        var failing = ByteBuffer(bytes: [1, 2, 3])
        #expect(throws: AMQPProtocolError(.nestingTooDeep(limit: 32))) {
            try failing.writeAMQPFieldTable(nested(33))
        }
        #expect(failing.bytes == [1, 2, 3])
        #expect(failing.writerIndex == 3)
    }

    // MARK: UTF-8

    @Test("invalid UTF-8 in a short string", arguments: [
        [0xC3, 0x28],  // a 2-byte lead followed by ASCII
        [0x80],  // a lone continuation byte
        [0xC0, 0xAF],  // an overlong '/'
        [0xED, 0xA0, 0x80],  // a UTF-16 surrogate
        [0xF4, 0x90, 0x80, 0x80],  // past U+10FFFF
        [0x61, 0xE2, 0x82],  // cut in the middle of a scalar
    ] as [[UInt8]])
    func invalidUTF8(bytes: [UInt8]) {
        var buffer = ByteBuffer(bytes: [UInt8(bytes.count)] + bytes)
        #expect(throws: AMQPProtocolError(.invalidUTF8)) {
            _ = try buffer.readAMQPShortString()
        }
        // connection.open with that virtual host.
        let payload: [UInt8] = [0x00, 0x0A, 0x00, 0x28, UInt8(bytes.count)] + bytes + [0x00, 0x00]
        expectParseError(rawFrame(type: 1, channel: 0, payload: payload),
                         throws: AMQPProtocolError(.invalidUTF8, frameType: 1, channel: 0))
        // A content-type property.
        let header: [UInt8] = [0x00, 0x3C, 0x00, 0x00] + be64(0) + [0x80, 0x00, UInt8(bytes.count)] + bytes
        expectParseError(rawFrame(type: 2, channel: 3, payload: header),
                         throws: AMQPProtocolError(.invalidUTF8, frameType: 2, channel: 3))
    }

    @Test("valid multi-byte UTF-8 in a short string decodes")
    func validUTF8() throws {
        let text = "é€日🐇"
        var buffer = ByteBuffer(bytes: [UInt8(text.utf8.count)] + ascii(text))
        #expect(try buffer.readAMQPShortString() == text)
    }
}
