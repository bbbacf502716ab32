import AMQPProtocol
import NIOCore
import Testing

/// Field tables and field values: every type on the wire, order, duplicates, the collection API
/// and literals, decimals, float equality and non-UTF-8 strings.
@Suite("Field tables")
struct FieldTableTests {
    func tag(_ letter: Character) -> UInt8 { UInt8(ascii: letter.unicodeScalars.first!) }

    /// One entry of each of the 17 value types, in the order of `everyTypeBytes`.
    var everyType: FieldTable {
        [
            "t": .boolean(true),
            "b": .int8(-2),
            "B": .uint8(254),
            "s": .int16(-2),
            "u": .uint16(65534),
            "I": .int32(-2),
            "i": .uint32(0xFFFF_FFFE),
            "l": .int64(-2),
            "f": .float(1.5),
            "d": .double(1.5),
            "D": .decimal(AMQPDecimal(scale: 2, value: 12345)),
            "S": .string("hi"),
            "A": .array([.uint8(7), .void]),
            "T": .timestamp(AMQPTimestamp(secondsSince1970: 1_700_000_000)),
            "F": .table([:]),
            "V": .void,
            "x": .bytes(ByteBuffer(bytes: [0x00, 0xFF, 0x10])),
        ]
    }

    /// `everyType` written out by hand: each entry is a shortstr key, a type octet and the value.
    var everyTypeBytes: [UInt8] {
        var content: [UInt8] = []
        content += [0x01, tag("t"), tag("t"), 0x01]  // 4
        content += [0x01, tag("b"), tag("b"), 0xFE]  // 4
        content += [0x01, tag("B"), tag("B"), 0xFE]  // 4
        content += [0x01, tag("s"), tag("s"), 0xFF, 0xFE]  // 5
        content += [0x01, tag("u"), tag("u"), 0xFF, 0xFE]  // 5
        content += [0x01, tag("I"), tag("I"), 0xFF, 0xFF, 0xFF, 0xFE]  // 7
        content += [0x01, tag("i"), tag("i"), 0xFF, 0xFF, 0xFF, 0xFE]  // 7
        content += [0x01, tag("l"), tag("l"), 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]  // 11
        content += [0x01, tag("f"), tag("f"), 0x3F, 0xC0, 0x00, 0x00]  // 7: IEEE 754 1.5
        content += [0x01, tag("d"), tag("d"), 0x3F, 0xF8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]  // 11
        content += [0x01, tag("D"), tag("D"), 0x02, 0x00, 0x00, 0x30, 0x39]  // 8: scale 2, value 12345
        content += [0x01, tag("S"), tag("S"), 0x00, 0x00, 0x00, 0x02] + ascii("hi")  // 9
        content += [0x01, tag("A"), tag("A"), 0x00, 0x00, 0x00, 0x03, tag("B"), 0x07, tag("V")]  // 10
        content += [0x01, tag("T"), tag("T"), 0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xF1, 0x00]  // 11
        content += [0x01, tag("F"), tag("F"), 0x00, 0x00, 0x00, 0x00]  // 7
        content += [0x01, tag("V"), tag("V")]  // 3
        content += [0x01, tag("x"), tag("x"), 0x00, 0x00, 0x00, 0x03, 0x00, 0xFF, 0x10]  // 10
        return [0x00, 0x00, 0x00, 0x7B] + content  // 123 bytes of entries
    }

    @Test("every value type has its spec tag and encodes to the hand-written bytes")
    func everyTypeBytesBothWays() throws {
        for (key, value) in everyType {
            #expect(value.typeTag == UInt8(ascii: key.unicodeScalars.first!), "\(key)")
        }
        var buffer = ByteBuffer()
        try buffer.writeAMQPFieldTable(everyType)
        #expect(buffer.bytes == everyTypeBytes, "got \(buffer.hex)")
        var input = ByteBuffer(bytes: everyTypeBytes)
        #expect(try input.readAMQPFieldTable() == everyType)
        #expect(input.readableBytes == 0)
    }

    @Test("random tables round-trip byte for byte")
    func randomTables() throws {
        var generator = TestSeed.generator(for: #function)
        for _ in 0..<500 {
            let table = ArbitraryValue.table(using: &generator)
            var buffer = ByteBuffer()
            try buffer.writeAMQPFieldTable(table)
            let bytes = buffer
            let decoded = try buffer.readAMQPFieldTable()
            #expect(decoded == table, "\(TestSeed.replay)")
            #expect(buffer.readableBytes == 0)
            var again = ByteBuffer()
            try again.writeAMQPFieldTable(decoded)
            #expect(again == bytes)
        }
    }

    @Test("random field arrays round-trip")
    func randomArrays() throws {
        var generator = TestSeed.generator(for: #function)
        for _ in 0..<200 {
            let array = (0..<Int.random(in: 0...6, using: &generator)).map { _ in ArbitraryValue.fieldValue(depth: 1, using: &generator) }
            var buffer = ByteBuffer()
            try buffer.writeAMQPFieldArray(array)
            #expect(try buffer.readAMQPFieldArray() == array, "\(TestSeed.replay)")
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test("insertion order is kept through encode and decode")
    func orderKept() throws {
        let table: FieldTable = ["zeta": 1, "alpha": 2, "mu": 3, "beta": 4]
        #expect(table.map(\.key) == ["zeta", "alpha", "mu", "beta"])
        var buffer = ByteBuffer()
        try buffer.writeAMQPFieldTable(table)
        let decoded = try buffer.readAMQPFieldTable()
        #expect(decoded.map(\.key) == ["zeta", "alpha", "mu", "beta"])
        // Order matters for equality.
        #expect(decoded != ["alpha": 2, "zeta": 1, "mu": 3, "beta": 4])
    }

    @Test("duplicate keys on the wire are all kept; the subscript reads the first")
    func duplicatesKept() throws {
        let S = UInt8(ascii: "S")
        let bytes: [UInt8] = [0x00, 0x00, 0x00, 0x10]  // two entries of 8 bytes
            + [0x01] + ascii("k") + [S, 0x00, 0x00, 0x00, 0x01] + ascii("1")
            + [0x01] + ascii("k") + [S, 0x00, 0x00, 0x00, 0x01] + ascii("2")
        var buffer = ByteBuffer(bytes: bytes)
        let table = try buffer.readAMQPFieldTable()
        #expect(table.count == 2)
        let entries = table.entries
        #expect(entries[0].key == "k" && entries[0].value == "1")
        #expect(entries[1].key == "k" && entries[1].value == "2")
        #expect(table["k"] == "1")
        var out = ByteBuffer()
        try out.writeAMQPFieldTable(table)
        #expect(out.bytes == bytes)

        var appended = FieldTable()
        appended.append(key: "k", value: "1")
        appended.append(key: "k", value: "2")
        #expect(appended == table)
    }

    @Test("subscript set appends, replace keeps the position, nil removes every entry of that key")
    func subscriptEditing() {
        var table: FieldTable = ["a": 1, "b": 2]
        table["c"] = 3
        #expect(table.map(\.key) == ["a", "b", "c"])
        table["a"] = "replaced"
        #expect(table.map(\.key) == ["a", "b", "c"])
        #expect(table["a"] == .string("replaced"))
        table.append(key: "b", value: 22)
        #expect(table.count == 4)
        table["b"] = nil
        #expect(table.map(\.key) == ["a", "c"])
        #expect(table["b"] == nil)
        table["missing"] = nil
        #expect(table.count == 2)
        #expect(table.isEmpty == false)
        #expect(FieldTable().isEmpty)
    }

    @Test("literals pick the types Pika would send")
    func literals() {
        let table: FieldTable = [
            "string": "text",
            "bool": true,
            "small": 42,
            "big": 5_000_000_000,
            "negative": -1,
            "double": 2.5,
            "array": [1, "x"],
            "nested": ["inner": false],
        ]
        #expect(table["string"] == .string("text"))
        #expect(table["bool"] == .boolean(true))
        #expect(table["small"] == .int32(42))
        #expect(table["big"] == .int64(5_000_000_000))
        #expect(table["negative"] == .int32(-1))
        #expect(table["double"] == .double(2.5))
        #expect(table["array"] == .array([.int32(1), .string("x")]))
        #expect(table["nested"] == .table(FieldTable([(key: "inner", value: .boolean(false))])))
        #expect(table.map(\.key) == ["string", "bool", "small", "big", "negative", "double", "array", "nested"])
    }

    @Test("decimal descriptions", arguments: [
        (AMQPDecimal(scale: 2, value: 12345), "123.45"),
        (AMQPDecimal(scale: 0, value: 42), "42"),
        (AMQPDecimal(scale: 3, value: 5), "0.005"),
        (AMQPDecimal(scale: 1, value: -5), "-0.5"),
        (AMQPDecimal(scale: 2, value: -12345), "-123.45"),
        (AMQPDecimal(scale: 2, value: 100), "1.00"),
        (AMQPDecimal(scale: 0, value: 0), "0"),
        (AMQPDecimal(scale: 2, value: 0), "0.00"),
        (AMQPDecimal(scale: 2, value: Int32.min), "-21474836.48"),
        (AMQPDecimal(scale: 12, value: 1), "0.000000000001"),
    ])
    func decimalDescription(decimal: AMQPDecimal, text: String) {
        #expect(decimal.description == text)
    }

    @Test("floats compare by bit pattern: NaN equals itself, 0.0 and -0.0 differ")
    func floatEquality() throws {
        #expect(FieldValue.float(.nan) == .float(.nan))
        #expect(FieldValue.double(.nan) == .double(.nan))
        #expect(FieldValue.double(.nan).hashValue == FieldValue.double(.nan).hashValue)
        #expect(FieldValue.double(0.0) != .double(-0.0))
        #expect(FieldValue.float(0.0) != .float(-0.0))
        #expect(FieldValue.float(Float(bitPattern: 0x7FC0_0001)) != .float(Float(bitPattern: 0x7FC0_0002)))
        #expect(FieldValue.float(1) != .double(1))
        // A NaN with a payload survives the wire bit for bit.
        let signalling = Double(bitPattern: 0x7FF0_0000_0000_0123)
        var buffer = ByteBuffer()
        try buffer.writeAMQPFieldTable(["nan": .double(signalling), "fnan": .float(.nan)])
        let decoded = try buffer.readAMQPFieldTable()
        guard case .double(let value)? = decoded["nan"] else {
            Issue.record("not a double")
            return
        }
        #expect(value.bitPattern == 0x7FF0_0000_0000_0123)
        #expect(decoded == ["nan": .double(signalling), "fnan": .float(.nan)])
    }

    @Test("an 'S' that is not UTF-8 decodes as binaryString and re-encodes the same bytes")
    func binaryString() throws {
        let bytes: [UInt8] = [0x00, 0x00, 0x00, 0x09] + [0x01] + ascii("k") + [UInt8(ascii: "S"), 0x00, 0x00, 0x00, 0x02, 0xFF, 0xFE]
        var buffer = ByteBuffer(bytes: bytes)
        let table = try buffer.readAMQPFieldTable()
        #expect(table["k"] == .binaryString(ByteBuffer(bytes: [0xFF, 0xFE])))
        #expect(table["k"]?.typeTag == UInt8(ascii: "S"))
        var out = ByteBuffer()
        try out.writeAMQPFieldTable(table)
        #expect(out.bytes == bytes)
        // Valid UTF-8 is a .string, and a .binaryString never equals a .string.
        var valid = ByteBuffer(bytes: [0x00, 0x00, 0x00, 0x09] + [0x01] + ascii("k") + [UInt8(ascii: "S"), 0x00, 0x00, 0x00, 0x02] + ascii("ok"))
        #expect(try valid.readAMQPFieldTable()["k"] == .string("ok"))
        #expect(FieldValue.binaryString(ByteBuffer(bytes: ascii("ok"))) != .string("ok"))
    }

    @Test("'x' byte arrays and 'S' strings are distinct types with the same layout")
    func bytesVersusString() throws {
        var buffer = ByteBuffer()
        try buffer.writeAMQPFieldArray([.bytes(ByteBuffer(bytes: ascii("ab"))), .string("ab")])
        #expect(buffer.bytes == [0x00, 0x00, 0x00, 0x0E, UInt8(ascii: "x"), 0, 0, 0, 2] + ascii("ab") + [UInt8(ascii: "S"), 0, 0, 0, 2] + ascii("ab"))
        #expect(try buffer.readAMQPFieldArray() == [.bytes(ByteBuffer(bytes: ascii("ab"))), .string("ab")])
    }
}
