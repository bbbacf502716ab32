/// Every error Hare reports conforms to `AMQPError` (Pika's `pika.exceptions.AMQPError`).
///
/// Catch a concrete type (`catch let error as ChannelClosedByBroker`) or one of the two families,
/// `AMQPConnectionError` (the connection is gone or could not be made) and `AMQPChannelError`
/// (one channel is gone or was misused; the connection lives on).
public protocol AMQPError: Error, Sendable, CustomStringConvertible {}

/// An error that ends, or prevents, a connection (Pika's `AMQPConnectionError`).
public protocol AMQPConnectionError: AMQPError {}

/// An error that ends, or concerns, one channel (Pika's `AMQPChannelError`).
public protocol AMQPChannelError: AMQPError {}

/// A close that carries the peer's reply code and text.
public protocol AMQPCloseReason: AMQPError {
    /// The AMQP reply code (200 is a normal close).
    var replyCode: UInt16 { get }
    /// The reply text.
    var replyText: String { get }
}

extension AMQPCloseReason {
    /// The type's name with the reply code and text: `ChannelClosedByBroker: (404) NOT_FOUND - ...`.
    public var description: String { "\(Self.self): (\(replyCode)) \(replyText)" }
}

/// An error that says what happened in one sentence.
public protocol AMQPReasonedError: AMQPError {
    /// What happened.
    var reason: String { get }
    /// The lower-level error behind it (an I/O or TLS error), when there is one.
    var underlying: (any Error & Sendable)? { get }
}

extension AMQPReasonedError {
    /// No lower-level error, unless the type has one.
    public var underlying: (any Error & Sendable)? { nil }

    /// The type's name, the reason and any lower-level error: `StreamLostError: ...: ...`.
    public var description: String {
        if let underlying { return "\(Self.self): \(reason): \(underlying)" }
        return "\(Self.self): \(reason)"
    }
}
