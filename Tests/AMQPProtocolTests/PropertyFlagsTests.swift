import AMQPProtocol
import NIOCore
import Testing

/// `AMQPReader.readPropertyFlags(maxWords:)`: the flag words of a content header as one
/// presence word, following continuation bits.
@Suite("Property flags")
struct PropertyFlagsTests {
    /// Reads flags from `words` (big-endian on the wire) and returns them with the bytes left.
    func read(_ words: [UInt16], maxWords: Int, trailing: [UInt8] = []) throws(AMQPProtocolError) -> (UInt64, Int) {
        var buffer = ByteBuffer()
        for word in words { buffer.writeInteger(word) }
        buffer.writeBytes(trailing)
        let present = try buffer.readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in
            try reader.readPropertyFlags(maxWords: maxWords)
        }
        return (present, buffer.readableBytes)
    }

    /// What the flags mean, bit by bit, as the spec says: bit 15 of word `w` is property 15w.
    func expected(_ words: [UInt16]) -> UInt64 {
        var present: UInt64 = 0
        for (word, flags) in words.enumerated() {
            for bit in 1...15 where flags & (1 << bit) != 0 {
                let property = 15 * word + (15 - bit)
                if property < 64 { present |= 1 << UInt64(property) }
            }
        }
        return present
    }

    @Test("every single flag word reads as its properties, bit by bit")
    func everySingleWord() throws {
        for flags in stride(from: UInt16(0), through: 0xFFFE, by: 2) {  // bit 0 clear: no continuation
            let (present, left) = try read([flags], maxWords: 1, trailing: [0xAB])
            #expect(present == expected([flags]), "flags \(String(flags, radix: 16))")
            #expect(left == 1)
        }
    }

    @Test("a continuation bit on the last word allowed is an error")
    func continuationPastTheLimit() {
        #expect(throws: AMQPProtocolError(.propertyFlagsContinuation)) { try read([0x8001, 0], maxWords: 1) }
        #expect(throws: AMQPProtocolError(.propertyFlagsContinuation)) { try read([0x0001, 0x0001, 0], maxWords: 2) }
    }

    @Test("continuation bits decide how many words are read")
    func continuedWords() throws {
        // One word with no continuation: the second is not read even when more are allowed.
        let (one, leftAfterOne) = try read([0x8000], maxWords: 3, trailing: [0x40, 0x00])
        #expect(one == 1)
        #expect(leftAfterOne == 2)
        // Two words: property 0, then property 16 (bit 14 of the second word).
        let (two, leftAfterTwo) = try read([0x8001, 0x4000], maxWords: 2, trailing: [0x12])
        #expect(two == expected([0x8001, 0x4000]))
        #expect(two == (1 | 1 << 16) as UInt64)
        #expect(leftAfterTwo == 1)
        // An empty first word that only says another follows.
        let (second, _) = try read([0x0001, 0x8000], maxWords: 2)
        #expect(second == (1 << 15) as UInt64)
    }

    @Test("five words: properties past the 64th are dropped")
    func fiveWords() throws {
        let words: [UInt16] = [0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFE]
        let (present, left) = try read(words, maxWords: 5)
        #expect(present == UInt64.max)
        #expect(left == 0)
        let sparse: [UInt16] = [0x0001, 0x0001, 0x0001, 0x0001, 0x8000 | 0x1000]  // properties 60 and 63
        let (high, _) = try read(sparse, maxWords: 5)
        #expect(high == expected(sparse))
        #expect(high == (1 << 60 | 1 << 63) as UInt64)
    }

    @Test("a flag word cut short is a truncation")
    func truncated() {
        #expect(throws: AMQPProtocolError(.truncated(needed: 2, available: 1))) {
            try read([0x8001], maxWords: 2, trailing: [0x40])
        }
    }
}
