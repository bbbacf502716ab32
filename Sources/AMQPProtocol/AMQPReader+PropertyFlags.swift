extension AMQPReader {
    /// Reads a content header's property flag words and returns which properties they announce:
    /// bit `i` of the result is property `i` (the first property is bit 15 of the first word).
    ///
    /// A word whose bit 0 is set is followed by another, so a peer that sets no property past
    /// the fifteenth may send one word (Hare's encoder writes them all): up to `maxWords` words
    /// are read (at least one), as their continuation bits say, and a continuation bit on word
    /// `maxWords` is `propertyFlagsContinuation`. Bits past the 64th property are dropped.
    @inlinable @inline(__always)
    public mutating func readPropertyFlags(maxWords: Int) throws(AMQPProtocolError) -> UInt64 {
        var present: UInt64 = 0
        var word = 0
        while true {
            let flags = try readShort()
            present |= UInt64(Self.propertyBits(flags)) << UInt64(15 * word)
            guard flags & 0x0001 != 0 else { return present }
            word += 1
            guard word < maxWords else { throw AMQPProtocolError(.propertyFlagsContinuation) }
        }
    }

    /// Bits 15 down to 1 of a flag word as bits 0 up to 14 (the word's bits reversed, without
    /// the continuation bit): a handful of instructions instead of a test per property.
    @inlinable @inline(__always)
    static func propertyBits(_ flags: UInt16) -> UInt16 {
        var bits = flags
        bits = (bits & 0x5555) << 1 | (bits >> 1) & 0x5555
        bits = (bits & 0x3333) << 2 | (bits >> 2) & 0x3333
        bits = (bits & 0x0F0F) << 4 | (bits >> 4) & 0x0F0F
        return bits.byteSwapped & 0x7FFF
    }
}
