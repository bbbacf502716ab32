/// An AMQP decimal field value: `value` / 10^`scale`, as RabbitMQ encodes it (an octet scale
/// and a signed 32-bit value).
public struct AMQPDecimal: Hashable, Sendable, CustomStringConvertible {
    /// The number of decimal digits after the point.
    public var scale: UInt8
    /// The unscaled value.
    public var value: Int32

    /// Creates `value` / 10^`scale`.
    public init(scale: UInt8, value: Int32) {
        self.scale = scale
        self.value = value
    }

    public var description: String {
        guard scale > 0 else { return String(value) }
        let magnitude = String(value.magnitude)
        let digits = magnitude.count <= Int(scale)
            ? String(repeating: "0", count: Int(scale) - magnitude.count + 1) + magnitude
            : magnitude
        let point = digits.index(digits.endIndex, offsetBy: -Int(scale))
        return (value < 0 ? "-" : "") + digits[..<point] + "." + digits[point...]
    }
}
