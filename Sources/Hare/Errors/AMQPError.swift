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
}

extension AMQPReasonedError {
    /// The type's name and the reason: `ProbableAuthenticationError: ...`.
    public var description: String { "\(Self.self): \(reason)" }
}
