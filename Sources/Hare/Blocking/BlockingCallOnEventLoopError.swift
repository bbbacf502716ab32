/// A blocking call (a method of `BlockingConnection` or `BlockingChannel` that waits) was made
/// on the connection's own event-loop thread, for example from inside a `SelectConnection`
/// callback or an `IOLoop.addCallbackThreadsafe` block. The loop is what would have to answer,
/// so the wait could never end: the call is refused instead of deadlocking. Nothing was sent.
public struct BlockingCallOnEventLoopError: AMQPError, AMQPReasonedError, Hashable {
    /// Which call was refused.
    public var reason: String

    /// Creates the error.
    public init(reason: String) { self.reason = reason }
}
