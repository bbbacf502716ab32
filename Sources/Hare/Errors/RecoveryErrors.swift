/// The connection is recovering: the call was refused (`RecoveryOptions.whileRecovering` is
/// `.failFast`) or waited longer than the options allow. Nothing was sent.
public struct ConnectionRecoveringError: AMQPConnectionError, AMQPReasonedError {
    /// What was refused, and why.
    public var reason: String
    /// Why the connection was lost.
    public var underlying: (any Error & Sendable)?

    /// Creates the error.
    public init(reason: String, underlying: (any Error & Sendable)? = nil) {
        self.reason = reason
        self.underlying = underlying
    }
}

/// A publish whose confirm was still outstanding when the connection was lost: the broker may
/// or may not have taken it. Republish it for at-least-once delivery.
public struct PublishConfirmLost: AMQPChannelError, Hashable {
    /// The publish sequence number (as `basicPublish` returned it).
    public var sequenceNumber: UInt64
    /// Why the connection was lost.
    public var reason: String

    /// Creates the error.
    public init(sequenceNumber: UInt64, reason: String) {
        self.sequenceNumber = sequenceNumber
        self.reason = reason
    }

    /// A one-line account of the error.
    public var description: String {
        "PublishConfirmLost: publish \(sequenceNumber) was not confirmed before the connection was lost (\(reason))"
    }
}

/// The connection was lost while a transaction was open (tx.select): what it held before the
/// loss is gone, so the commit was refused and what came after the recovery was rolled back.
/// Publish and ack the transaction's work again, then commit.
public struct TransactionLost: AMQPChannelError, Hashable {
    /// Whether the rollback of the work after the recovery succeeded.
    public var rolledBack: Bool

    /// Creates the error.
    public init(rolledBack: Bool) { self.rolledBack = rolledBack }

    /// A one-line account of the error.
    public var description: String {
        "TransactionLost: the connection was lost during the transaction; nothing was committed"
            + (rolledBack ? " and the work since the recovery was rolled back" : "")
    }
}
