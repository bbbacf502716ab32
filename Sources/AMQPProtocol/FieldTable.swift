/// An AMQP field table: string keys to `FieldValue`s, in insertion order.
///
/// Lookups by key are linear, which is what small AMQP tables want; the order on the wire is kept
/// exactly through decode and encode.
public struct FieldTable: Sendable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    /// One entry: a key and its value.
    public typealias Element = (key: String, value: FieldValue)

    /// Tables nest (tables and arrays inside tables) at most this deep: 32 levels, the top one included.
    public static let maxNestingDepth = 32

    @usableFromInline
    var entries: [Element]

    /// An empty table.
    public init() {
        entries = []
    }

    /// A table with `entries` in the given order.
    public init(_ entries: [Element]) {
        self.entries = entries
    }

    /// A table from a literal, in the literal's order.
    public init(dictionaryLiteral elements: (String, FieldValue)...) {
        entries = elements.map { (key: $0.0, value: $0.1) }
    }

    public var startIndex: Int { entries.startIndex }
    public var endIndex: Int { entries.endIndex }
    public subscript(position: Int) -> Element { entries[position] }

    /// The value of the first entry called `key`; setting replaces it in place, appends a new
    /// entry, or (with nil) removes every entry called `key`.
    public subscript(key: String) -> FieldValue? {
        get { entries.first { $0.key == key }?.value }
        set {
            if let newValue {
                if let index = entries.firstIndex(where: { $0.key == key }) {
                    entries[index].value = newValue
                } else {
                    entries.append((key, newValue))
                }
            } else {
                entries.removeAll { $0.key == key }
            }
        }
    }

    /// Appends an entry, keeping any earlier one with the same key (the wire allows duplicates).
    public mutating func append(key: String, value: FieldValue) {
        entries.append((key, value))
    }
}

extension FieldTable: Hashable {
    public static func == (lhs: FieldTable, rhs: FieldTable) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(entries.count)
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }
}

extension FieldTable: CustomStringConvertible {
    public var description: String {
        "[" + entries.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "]"
    }
}
