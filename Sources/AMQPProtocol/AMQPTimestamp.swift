/// An AMQP timestamp: whole seconds since the POSIX epoch, 64 bits on the wire.
public struct AMQPTimestamp: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var secondsSince1970: UInt64

    /// Creates a timestamp `secondsSince1970` seconds after the epoch.
    public init(secondsSince1970: UInt64) {
        self.secondsSince1970 = secondsSince1970
    }

    public static func < (lhs: AMQPTimestamp, rhs: AMQPTimestamp) -> Bool {
        lhs.secondsSince1970 < rhs.secondsSince1970
    }

    public var description: String { "AMQPTimestamp(\(secondsSince1970))" }
}
