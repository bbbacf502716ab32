/// A few recently decoded long short-strings, handed out again when the same bytes come back.
///
/// Strings over 15 bytes live on the heap. A connection decodes the same ones over and over: the
/// broker's consumer tag (`amq.ctag-…`, 31 bytes) on every delivery, queue names and routing
/// keys. With a cache, `AMQPFrameParser.parse(_:sharingStrings:)` returns the remembered string
/// of a method frame instead of allocating a new one, and lookups keyed by it compare storage,
/// not bytes. Properties (message ids, correlation ids: new on every message) never enter it.
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

    /// The shortest string worth remembering: shorter ones are stored inline in `String`.
    @usableFromInline static let minimumLength = 16

    /// Creates an empty cache that remembers up to `capacity` strings.
    public init(capacity: Int = 8) {
        self.capacity = Swift.max(1, capacity)
        stableEntries = Swift.max(1, Swift.min(2, self.capacity - 1))
        entries.reserveCapacity(self.capacity)
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
