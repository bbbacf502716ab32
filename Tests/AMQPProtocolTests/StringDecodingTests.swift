import AMQPProtocol
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
}
