import NIOCore

/// A value in an AMQP field table or field array, with every type RabbitMQ uses.
///
/// The comment on each case gives its type tag on the wire.
public enum FieldValue: Sendable {
    /// `t`: a boolean.
    case boolean(Bool)
    /// `b`: a signed 8-bit integer.
    case int8(Int8)
    /// `B`: an unsigned 8-bit integer.
    case uint8(UInt8)
    /// `s`: a signed 16-bit integer.
    case int16(Int16)
    /// `u`: an unsigned 16-bit integer.
    case uint16(UInt16)
    /// `I`: a signed 32-bit integer.
    case int32(Int32)
    /// `i`: an unsigned 32-bit integer.
    case uint32(UInt32)
    /// `l`: a signed 64-bit integer.
    case int64(Int64)
    /// `f`: a 32-bit float.
    case float(Float)
    /// `d`: a 64-bit float.
    case double(Double)
    /// `D`: a decimal.
    case decimal(AMQPDecimal)
    /// `S`: a long string holding valid UTF-8.
    case string(String)
    /// `S`: a long string whose bytes are not valid UTF-8, kept as they came.
    case binaryString(ByteBuffer)
    /// `A`: an array of values.
    case array([FieldValue])
    /// `T`: a timestamp.
    case timestamp(AMQPTimestamp)
    /// `F`: a nested table.
    case table(FieldTable)
    /// `V`: no value.
    case void
    /// `x`: a byte array.
    case bytes(ByteBuffer)

    /// The type tag of this value on the wire.
    public var typeTag: UInt8 {
        switch self {
        case .boolean: UInt8(ascii: "t")
        case .int8: UInt8(ascii: "b")
        case .uint8: UInt8(ascii: "B")
        case .int16: UInt8(ascii: "s")
        case .uint16: UInt8(ascii: "u")
        case .int32: UInt8(ascii: "I")
        case .uint32: UInt8(ascii: "i")
        case .int64: UInt8(ascii: "l")
        case .float: UInt8(ascii: "f")
        case .double: UInt8(ascii: "d")
        case .decimal: UInt8(ascii: "D")
        case .string, .binaryString: UInt8(ascii: "S")
        case .array: UInt8(ascii: "A")
        case .timestamp: UInt8(ascii: "T")
        case .table: UInt8(ascii: "F")
        case .void: UInt8(ascii: "V")
        case .bytes: UInt8(ascii: "x")
        }
    }
}

extension FieldValue: Hashable {
    /// Values are equal when their types and contents are; floats compare by bit pattern, so a
    /// decoded NaN equals itself and a value always equals its own re-decoding.
    public static func == (lhs: FieldValue, rhs: FieldValue) -> Bool {
        switch (lhs, rhs) {
        case (.boolean(let a), .boolean(let b)): a == b
        case (.int8(let a), .int8(let b)): a == b
        case (.uint8(let a), .uint8(let b)): a == b
        case (.int16(let a), .int16(let b)): a == b
        case (.uint16(let a), .uint16(let b)): a == b
        case (.int32(let a), .int32(let b)): a == b
        case (.uint32(let a), .uint32(let b)): a == b
        case (.int64(let a), .int64(let b)): a == b
        case (.float(let a), .float(let b)): a.bitPattern == b.bitPattern
        case (.double(let a), .double(let b)): a.bitPattern == b.bitPattern
        case (.decimal(let a), .decimal(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.binaryString(let a), .binaryString(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.timestamp(let a), .timestamp(let b)): a == b
        case (.table(let a), .table(let b)): a == b
        case (.void, .void): true
        case (.bytes(let a), .bytes(let b)): a == b
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(typeTag)
        switch self {
        case .boolean(let value): hasher.combine(value)
        case .int8(let value): hasher.combine(value)
        case .uint8(let value): hasher.combine(value)
        case .int16(let value): hasher.combine(value)
        case .uint16(let value): hasher.combine(value)
        case .int32(let value): hasher.combine(value)
        case .uint32(let value): hasher.combine(value)
        case .int64(let value): hasher.combine(value)
        case .float(let value): hasher.combine(value.bitPattern)
        case .double(let value): hasher.combine(value.bitPattern)
        case .decimal(let value): hasher.combine(value)
        case .string(let value): hasher.combine(value)
        case .binaryString(let value): hasher.combine(value)
        case .array(let value): hasher.combine(value)
        case .timestamp(let value): hasher.combine(value)
        case .table(let value): hasher.combine(value)
        case .void: break
        case .bytes(let value): hasher.combine(value)
        }
    }
}

extension FieldValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// A string literal is a UTF-8 long string (`S`).
    public init(stringLiteral value: String) { self = .string(value) }
    /// A boolean literal is `t`.
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    /// An integer literal is `I` when it fits in 32 bits and `l` otherwise, as Pika does.
    public init(integerLiteral value: Int64) {
        self = Int32(exactly: value).map(FieldValue.int32) ?? .int64(value)
    }
    /// A float literal is a double (`d`).
    public init(floatLiteral value: Double) { self = .double(value) }
    /// An array literal is a field array (`A`).
    public init(arrayLiteral elements: FieldValue...) { self = .array(elements) }
    /// A dictionary literal is a nested table (`F`), in the literal's order.
    public init(dictionaryLiteral elements: (String, FieldValue)...) {
        self = .table(FieldTable(elements.map { (key: $0.0, value: $0.1) }))
    }
}
