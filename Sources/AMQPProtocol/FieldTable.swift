import NIOCore

/// An AMQP field table: string keys to `FieldValue`s, in insertion order.
///
/// A decoded table stays a slice of its wire bytes (checked in full when it was decoded) until
/// it is changed: reading a message's headers costs no allocation, iterating decodes entry by
/// entry, and re-encoding an untouched table copies its bytes. Lookups by key are linear, which is
/// what small AMQP tables want; the order on the wire is kept exactly.
public struct FieldTable: Sendable, Collection, ExpressibleByDictionaryLiteral {
    /// One entry: a key and its value.
    public typealias Element = (key: String, value: FieldValue)

    /// Tables nest (tables and arrays inside tables) at most this deep: 32 levels, the top one included.
    public static let maxNestingDepth = 32

    @usableFromInline
    enum Storage: Sendable {
        /// The table's content bytes (after the length), already validated.
        case wire(ByteBuffer)
        case entries([Element])
    }

    @usableFromInline
    var storage: Storage

    /// A position in the table: an entry number, or a byte offset in a decoded table.
    public struct Index: Comparable, Hashable, Sendable {
        @usableFromInline var offset: Int

        @inlinable init(offset: Int) { self.offset = offset }

        public static func < (lhs: Index, rhs: Index) -> Bool { lhs.offset < rhs.offset }
    }

    /// An empty table.
    public init() {
        storage = .entries([])
    }

    /// A table with `entries` in the given order.
    public init(_ entries: [Element]) {
        storage = .entries(entries)
    }

    /// A table from a literal, in the literal's order.
    public init(dictionaryLiteral elements: (String, FieldValue)...) {
        storage = .entries(elements.map { (key: $0.0, value: $0.1) })
    }

    /// A table over content bytes that `AMQPReader.readFieldTable` has validated.
    @usableFromInline
    init(validatedWire bytes: ByteBuffer) {
        storage = .wire(bytes)
    }

    public var startIndex: Index { Index(offset: 0) }

    public var endIndex: Index {
        switch storage {
        case .wire(let bytes): Index(offset: bytes.readableBytes)
        case .entries(let entries): Index(offset: entries.count)
        }
    }

    public var isEmpty: Bool {
        switch storage {
        case .wire(let bytes): bytes.readableBytes == 0
        case .entries(let entries): entries.isEmpty
        }
    }

    public func index(after position: Index) -> Index {
        switch storage {
        case .entries:
            return Index(offset: position.offset + 1)
        case .wire(let bytes):
            let next = Self.entry(in: bytes, at: position.offset, decoding: false)
            return Index(offset: next.end)
        }
    }

    public subscript(position: Index) -> Element {
        switch storage {
        case .entries(let entries):
            return entries[position.offset]
        case .wire(let bytes):
            return Self.entry(in: bytes, at: position.offset, decoding: true).element
        }
    }

    /// Decodes (or only skips) the entry at `offset` of validated table bytes. The bytes were
    /// checked when the table was decoded, so this cannot fail; should it ever, the entry reads as
    /// a void value and the table ends there, rather than trapping.
    static func entry(in bytes: ByteBuffer, at offset: Int, decoding: Bool) -> (element: Element, end: Int) {
        var table = bytes
        table.moveReaderIndex(forwardBy: Swift.min(offset, table.readableBytes))
        let fallback: (element: Element, end: Int) = (("", .void), bytes.readableBytes)
        let result = try? table.readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) -> Element in
            if decoding {
                let key = try reader.readShortString()
                return (key, try reader.readFieldValue(depth: 1))
            }
            try reader.checkShortString()  // the key
            try reader.skipFieldValue(depth: 1)
            return fallback.element
        }
        guard let result else { return fallback }
        return (result, bytes.readableBytes - table.readableBytes)
    }

    /// The entries as an array (decoding a received table).
    public var entries: [Element] {
        switch storage {
        case .entries(let entries): entries
        case .wire: Array(self)
        }
    }

    @inlinable
    mutating func materialize() -> [Element] {
        switch storage {
        case .entries(let entries):
            storage = .entries([])
            return entries
        case .wire:
            return entries
        }
    }

    /// The value of the first entry called `key`; setting replaces it in place, appends a new
    /// entry, or (with nil) removes every entry called `key`.
    public subscript(key: String) -> FieldValue? {
        get { first { $0.key == key }?.value }
        set {
            var entries = materialize()
            if let newValue {
                if let index = entries.firstIndex(where: { $0.key == key }) {
                    entries[index].value = newValue
                } else {
                    entries.append((key, newValue))
                }
            } else {
                entries.removeAll { $0.key == key }
            }
            storage = .entries(entries)
        }
    }

    /// Appends an entry, keeping any earlier one with the same key (the wire allows duplicates).
    public mutating func append(key: String, value: FieldValue) {
        var entries = materialize()
        entries.append((key, value))
        storage = .entries(entries)
    }
}

extension FieldTable: Hashable {
    /// Tables are equal when they hold equal entries in the same order.
    public static func == (lhs: FieldTable, rhs: FieldTable) -> Bool {
        if case .wire(let left) = lhs.storage, case .wire(let right) = rhs.storage, left == right {
            return true  // the same bytes decode to the same entries
        }
        var left = lhs.makeIterator()
        var right = rhs.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return true
            case (let a?, let b?): if a.key != b.key || a.value != b.value { return false }
            default: return false
            }
        }
    }

    public func hash(into hasher: inout Hasher) {
        for entry in self {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }
}

extension FieldTable: CustomStringConvertible {
    public var description: String {
        "[" + map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "]"
    }
}
