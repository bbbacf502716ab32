import AMQPProtocol
import NIOCore

/// Random values of each wire type, for the generated `arbitraryInstances` (AMQPArbitrary.swift).
enum ArbitraryValue {
    static func bool(using generator: inout some RandomNumberGenerator) -> Bool { Bool.random(using: &generator) }
    static func octet(using generator: inout some RandomNumberGenerator) -> UInt8 { .random(in: .min ... .max, using: &generator) }
    static func short(using generator: inout some RandomNumberGenerator) -> UInt16 { .random(in: .min ... .max, using: &generator) }
    static func long(using generator: inout some RandomNumberGenerator) -> UInt32 { .random(in: .min ... .max, using: &generator) }
    static func longlong(using generator: inout some RandomNumberGenerator) -> UInt64 { .random(in: .min ... .max, using: &generator) }
    static func timestamp(using generator: inout some RandomNumberGenerator) -> AMQPTimestamp {
        AMQPTimestamp(secondsSince1970: longlong(using: &generator))
    }

    /// A string of up to 255 UTF-8 bytes, mixing ASCII with 2-, 3- and 4-byte scalars.
    static func shortstr(using generator: inout some RandomNumberGenerator) -> String {
        let alphabet: [Character] = ["a", "Z", "0", ".", "-", " ", "é", "ß", "€", "日", "🐇", "\u{0}"]
        var string = ""
        let target = Int.random(in: 0...64, using: &generator)
        while string.utf8.count < target {
            let next = alphabet.randomElement(using: &generator)!
            if string.utf8.count + String(next).utf8.count > 255 { break }
            string.append(next)
        }
        return string
    }

    static func longstr(using generator: inout some RandomNumberGenerator) -> ByteBuffer {
        let count = Int.random(in: 0...300, using: &generator)
        return ByteBuffer(bytes: (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    static func table(using generator: inout some RandomNumberGenerator) -> FieldTable {
        table(depth: 1, using: &generator)
    }

    static func table(depth: Int, using generator: inout some RandomNumberGenerator) -> FieldTable {
        var table = FieldTable()
        for index in 0..<Int.random(in: 0...4, using: &generator) {
            table.append(key: "k\(index)" + shortstr(using: &generator).prefix(8), value: fieldValue(depth: depth, using: &generator))
        }
        return table
    }

    /// Any field value; nested tables and arrays stop at depth 4.
    static func fieldValue(depth: Int, using generator: inout some RandomNumberGenerator) -> FieldValue {
        let choice = Int.random(in: 0..<(depth < 4 ? 18 : 16), using: &generator)
        switch choice {
        case 0: return .boolean(bool(using: &generator))
        case 1: return .int8(.random(in: .min ... .max, using: &generator))
        case 2: return .uint8(octet(using: &generator))
        case 3: return .int16(.random(in: .min ... .max, using: &generator))
        case 4: return .uint16(short(using: &generator))
        case 5: return .int32(.random(in: .min ... .max, using: &generator))
        case 6: return .uint32(long(using: &generator))
        case 7: return .int64(.random(in: .min ... .max, using: &generator))
        case 8: return .float(Float(bitPattern: long(using: &generator)))
        case 9: return .double(Double(bitPattern: longlong(using: &generator)))
        case 10: return .decimal(AMQPDecimal(scale: .random(in: 0...10, using: &generator), value: .random(in: .min ... .max, using: &generator)))
        case 11: return .string(shortstr(using: &generator))
        case 12: return .binaryString(ByteBuffer(bytes: [0xFF, 0xFE, octet(using: &generator)]))
        case 13: return .timestamp(timestamp(using: &generator))
        case 14: return .void
        case 15: return .bytes(longstr(using: &generator))
        case 16: return .table(table(depth: depth + 1, using: &generator))
        default:
            return .array((0..<Int.random(in: 0...3, using: &generator)).map { _ in fieldValue(depth: depth + 1, using: &generator) })
        }
    }
}
