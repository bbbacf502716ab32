@testable import AMQPProtocol
import NIOCore
import Testing

/// Short strings decode through an ASCII fast path and, for common content types, shared literals.
@Suite("String decoding")
struct StringDecodingTests {
    func decodeShortString(_ bytes: [UInt8]) throws(AMQPProtocolError) -> String {
        var buffer = ByteBuffer(bytes: [UInt8(bytes.count)] + bytes)
        let string = try buffer.readAMQPShortString()
        #expect(buffer.readableBytes == 0)
        return string
    }

    @Test("common content types, near misses of the same length, and other long strings decode exactly")
    func commonAndNearMiss() throws {
        for text in ["application/json", "application/jsoN", "application/octet-stream", "application/octet-strea_",
                     "text/plain; charset=utf-8", "a string of thirty-one bytes..", "grüß dich, 日本 🐇 mixed bytes"] {
            #expect(try decodeShortString(Array(text.utf8)) == text)
        }
    }

    @Test("invalid UTF-8 is an error at every length, ASCII prefix or not")
    func invalidUTF8() {
        for prefix in [0, 7, 8, 15, 16, 40] {
            let bytes = Array(repeating: UInt8(ascii: "a"), count: prefix) + [0xC3, 0x28]
            #expect(throws: AMQPProtocolError(.invalidUTF8)) { try decodeShortString(bytes) }
        }
    }

    @Test("a non-ASCII byte in any position of a word is noticed")
    func nonASCIIAnywhere() throws {
        for position in 0..<24 {
            var bytes = Array(repeating: UInt8(ascii: "x"), count: 24)
            bytes[position] = 0xC3
            bytes.insert(0xA9, at: position + 1)  // "é"
            let expected = String(repeating: "x", count: position) + "é" + String(repeating: "x", count: 23 - position)
            #expect(try decodeShortString(bytes) == expected)
        }
    }

    /// Strings of up to eight bytes are checked with one eight-byte load that may reach past
    /// the string (into the next field, or a later frame) when the buffer goes on.
    @Test("a short string followed by non-ASCII bytes: only its own bytes count, read or checked")
    func bytesAfterTheStringAreIgnored() throws {
        for length in 0...10 {
            for bad in [nil] + Array(0..<length) as [Int?] {
                var text = Array(repeating: UInt8(ascii: "k"), count: length)
                if let bad { text[bad] = 0xFF }
                for trailing in [0, 1, 7, 8, 16] {
                    let bytes = [UInt8(length)] + text + Array(repeating: 0xC3, count: trailing)
                    var read = ByteBuffer(bytes: bytes)
                    var checked = read
                    if bad == nil {
                        #expect(try read.readAMQPShortString() == String(repeating: "k", count: length))
                        try checked.readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.checkShortString() }
                        #expect(read.readableBytes == trailing && checked.readableBytes == trailing)
                    } else {
                        #expect(throws: AMQPProtocolError(.invalidUTF8)) { try read.readAMQPShortString() }
                        #expect(throws: AMQPProtocolError(.invalidUTF8)) {
                            try checked.readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.checkShortString() }
                        }
                    }
                }
            }
        }
    }

    @Test("a table key followed by non-ASCII bytes is checked on its own bytes")
    func tableKeyBeforeHighBytes() throws {
        // One entry, key "k1" (valid) then an "S" value of non-ASCII (valid UTF-8) bytes.
        let value: [UInt8] = Array("日本語の値".utf8)
        let entry: [UInt8] = [2] + Array("k1".utf8) + [UInt8(ascii: "S")] + [0, 0, 0, UInt8(value.count)] + value
        var good = ByteBuffer(bytes: [0, 0, 0, UInt8(entry.count)] + entry)
        let table = try good.readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.readFieldTable() }
        #expect(table["k1"] == .string("日本語の値"))
        // The same with a key holding an invalid byte.
        var badEntry = entry
        badEntry[2] = 0xFF
        var bad = ByteBuffer(bytes: [0, 0, 0, UInt8(badEntry.count)] + badEntry)
        #expect(throws: AMQPProtocolError(.invalidUTF8)) {
            try bad.readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.readFieldTable() }
        }
    }

    @Test("isASCII(_:at:) looks at its own bytes only, whatever follows or precedes them")
    func asciiTestOfOwnBytes() throws {
        for count in 0...10 {
            for start in [0, 1, 5] {
                for bad in [nil] + Array(0..<count) as [Int?] {
                    // High bytes before and after the tested bytes; one inside when `bad` says so.
                    var bytes = Array(repeating: UInt8(0xC3), count: start) + Array(repeating: UInt8(ascii: "a"), count: count)
                    if let bad { bytes[start + bad] = 0x80 }
                    for trailing in [0, 3, 8] {
                        var buffer = ByteBuffer(bytes: bytes + Array(repeating: 0xFF, count: trailing))
                        let ascii = try buffer.readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in
                            reader.isASCII(UnsafeRawBufferPointer(rebasing: reader.bytes[start..<(start + count)]), at: start)
                        }
                        #expect(ascii == (bad == nil), "count \(count) start \(start) bad \(String(describing: bad)) trailing \(trailing)")
                    }
                }
            }
        }
    }
}
