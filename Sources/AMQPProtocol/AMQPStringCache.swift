/// Recently decoded short strings, handed out again when the same bytes come back.
///
/// A connection decodes the same strings over and over: the broker's consumer tag
/// (`amq.ctag-…`, 31 bytes) on every delivery, the routing key and exchange of every message
/// from one queue, queue names. With a cache, `AMQPFrameParser.parse(_:sharingStrings:)` returns
/// the remembered string of a method frame instead of building it again:
/// - a string over 15 bytes lives on the heap: the cache saves the allocation, and lookups keyed
///   by it compare storage, not bytes. A few of them are kept, most recently used first.
/// - a string of 1 to 15 bytes (`orders`, `amq.topic`, `task_queue`) is stored inline in
///   `String`, but building one checks its UTF-8 and copies it in, about 200 instructions; the
///   cache finds it with two word compares. Those live in a small table indexed by their bytes.
///
/// Properties (message ids, correlation ids: new on every message) never enter it.
///
/// Not thread-safe: one cache belongs to one parser's owner (a connection's event loop).
public final class AMQPStringCache {
    /// Most recently added first. Used from one thread, and no access overlaps another (the
    /// methods call out to nobody), so the dynamic exclusivity check (a thread-local lookup on
    /// every delivery's consumer tag) is off.
    @exclusivity(unchecked) private var entries: [String] = []
    /// How many strings it remembers.
    public let capacity: Int
    /// How many of the most recent strings a hit leaves in place: two, or fewer in a cache of
    /// three or less (one in a cache of two, none in a cache of one).
    let stableEntries: Int

    /// The short strings' table, `1 << shortSlotBits` entries (a key of zeros: empty, which no
    /// string's key is). Allocated once and owned by the cache: a `let`, so reading it costs no
    /// exclusivity check, and a slot is always in range, so no bounds check either.
    private let shortTable: UnsafeMutablePointer<ShortEntry>

    /// One slot of the short strings' table.
    struct ShortEntry {
        var key: ShortKey
        var string: String
    }

    /// The shortest string of the long strings' list: shorter ones are stored inline in `String`
    /// and go to the short strings' table.
    @usableFromInline static let minimumLength = 16
    /// Slots of the short strings' table (a power of two); a string takes the slot its bytes
    /// hash to, replacing the one there.
    static let shortSlotBits = 4

    /// Creates an empty cache that remembers up to `capacity` long strings (and up to 16 short
    /// ones).
    public init(capacity: Int = 8) {
        self.capacity = Swift.max(1, capacity)
        stableEntries = Swift.max(1, Swift.min(2, self.capacity - 1))
        entries.reserveCapacity(self.capacity)
        shortTable = .allocate(capacity: 1 << Self.shortSlotBits)
        shortTable.initialize(repeating: ShortEntry(key: ShortKey(low: 0, high: 0), string: ""), count: 1 << Self.shortSlotBits)
    }

    deinit {
        shortTable.deinitialize(count: 1 << Self.shortSlotBits)
        shortTable.deallocate()
    }

    /// The bytes of a string of 1 to 15 bytes as two words: its first eight bytes, and the
    /// rest with the length in the top byte (so that strings differing only in trailing zero
    /// bytes differ). Little-endian: the first byte is the low one.
    struct ShortKey: Equatable {
        var low: UInt64
        var high: UInt64

        init(low: UInt64, high: UInt64) {
            self.low = low
            self.high = high
        }

        /// The key of the `count` (1 to 15) bytes at `start` in `bytes`, which must hold 16
        /// bytes from `start` on: the bytes past the string are read and masked off.
        @inline(__always)
        init(_ bytes: UnsafeRawBufferPointer, at start: Int, count: Int) {
            assert((1...15).contains(count) && start >= 0 && bytes.count - start >= 16, "a short key needs 16 bytes")
            let first = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self))
            let second = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start &+ 8, as: UInt64.self))
            // Masking shifts: `count` is 1 to 15, so every shift below is 0 to 56.
            let lowMask = UInt64.max &>> UInt64(truncatingIfNeeded: 64 &- 8 &* Swift.min(count, 8))
            let highMask = count > 8 ? UInt64.max &>> UInt64(truncatingIfNeeded: 128 &- 8 &* count) : 0
            self.init(low: first & lowMask, high: (second & highMask) | UInt64(truncatingIfNeeded: count) &<< 56)
        }
    }

    /// The slot of `key` in the short strings' table: the top bits of a multiplicative hash.
    @inline(__always)
    static func slot(_ key: ShortKey) -> Int {
        let mixed = (key.low ^ (key.high &* 0x9E37_79B9_7F4A_7C15)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed >> (64 - shortSlotBits))
    }

    /// The remembered short string with `key`'s bytes; nil when there is none.
    @inline(__always)
    func shortString(matching key: ShortKey) -> String? {
        let entry = shortTable + Self.slot(key)
        guard entry.pointee.key == key else { return nil }
        return entry.pointee.string
    }

    /// Remembers `string`, whose bytes `key` holds, in place of the short string in its slot.
    func rememberShort(_ string: String, key: ShortKey) {
        shortTable[Self.slot(key)] = ShortEntry(key: key, string: string)
    }

    /// The remembered string with exactly these UTF-8 bytes; nil when there is none. One found
    /// past the first `stableEntries` is moved to the front; those stay in place, so the two
    /// strings every delivery may carry (a consumer tag, a routing key) do not trade places on
    /// every lookup. A string looked up at least once every `capacity - stableEntries` new
    /// strings is never the one forgotten.
    @usableFromInline
    func string(matching utf8: UnsafeRawBufferPointer) -> String? {
        for index in entries.indices {
            var candidate = entries[index]
            let equal = candidate.withUTF8 { bytes in
                bytes.count == utf8.count && memcmp(bytes.baseAddress!, utf8.baseAddress!, utf8.count) == 0
            }
            if equal {
                if index >= stableEntries { entries.swapAt(0, index) }
                return candidate
            }
        }
        return nil
    }

    /// Remembers `string`, forgetting the oldest when full.
    @usableFromInline
    func remember(_ string: String) {
        if entries.count == capacity { entries.removeLast() }
        entries.insert(string, at: 0)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
