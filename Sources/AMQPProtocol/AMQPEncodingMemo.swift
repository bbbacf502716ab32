import Synchronization

/// The encoded bytes of a value that is encoded again and again unchanged (the same properties
/// on every publish), kept from its second encode on, so that later encodes copy them instead
/// of encoding every field anew.
///
/// Its owner, a copy-on-write storage, first asks `write(to:)`; when that writes nothing, the
/// owner encodes itself and shows the bytes to `encoded(_:)`. The first such call only notes
/// that an encode happened, so a value encoded once (properties built for one message) never
/// pays for a copy; the second keeps one. Before the owner changes, while it is uniquely
/// referenced (so no other thread can be reading it), `forget()` drops the bytes.
///
/// Only values that can be encoded are: `encode(to:)` writes into memory that `encodedSize()`
/// reserved, and that throws for values that cannot be encoded (a short string over 255
/// bytes), so the size a memo answers was checked when its bytes were first written.
///
/// Encodes of one shared owner may run on several threads at once: the bytes are published
/// once, by a compare-and-exchange, and read through acquiring loads (hence `@unchecked`:
/// the pointer they guard is not `Sendable` itself).
///
/// Used by the generated content properties; public so that code generated from another spec
/// file, compiled in a module of its own, can use it too.
public struct AMQPEncodingMemo: ~Copyable, @unchecked Sendable {
    /// One allocation: the byte count (an `Int`), then the bytes; nil until kept.
    private let block = Atomic<UnsafeMutableRawPointer?>(nil)
    /// Whether an encode happened since the memo was made or last forgotten.
    private let encodedOnce = Atomic<Bool>(false)

    /// A memo that keeps nothing yet.
    public init() {}

    deinit {
        block.load(ordering: .acquiring)?.deallocate()
    }

    private static let countSize = MemoryLayout<Int>.stride

    /// The size of the kept bytes, or nil when none are kept.
    public var size: Int? {
        block.load(ordering: .acquiring)?.load(as: Int.self)
    }

    /// Writes the kept bytes and returns true, or returns false when none are kept.
    public func write(to writer: inout AMQPWriter) -> Bool {
        guard let block = block.load(ordering: .acquiring) else { return false }
        writer.writeRaw(UnsafeRawBufferPointer(start: block + Self.countSize, count: block.load(as: Int.self)))
        return true
    }

    /// Notes an encode of the owner as it is now, whose result is `bytes`; from the second on,
    /// keeps a copy of them.
    public func encoded(_ bytes: UnsafeRawBufferPointer) {
        guard encodedOnce.load(ordering: .relaxed) else {
            encodedOnce.store(true, ordering: .relaxed)
            return
        }
        let kept = UnsafeMutableRawPointer.allocate(
            byteCount: Self.countSize + bytes.count, alignment: MemoryLayout<Int>.alignment
        )
        kept.storeBytes(of: bytes.count, as: Int.self)
        if let source = bytes.baseAddress {
            (kept + Self.countSize).copyMemory(from: source, byteCount: bytes.count)
        }
        if !block.compareExchange(expected: nil, desired: kept, ordering: .acquiringAndReleasing).exchanged {
            kept.deallocate()  // another thread kept the same bytes first
        }
    }

    /// Drops the kept bytes and the note of an earlier encode. Only while the owner is about
    /// to change and uniquely referenced.
    public func forget() {
        encodedOnce.store(false, ordering: .relaxed)
        if block.load(ordering: .relaxed) != nil {
            block.exchange(nil, ordering: .acquiringAndReleasing)?.deallocate()
        }
    }
}
