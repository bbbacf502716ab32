/// A blocking call did not complete within its bound (the broker never answered, or the
/// connection's loop is stuck). The connection may still be usable; the late answer, if it
/// comes, is dropped.
public struct BlockingCallTimeout: AMQPError, Hashable {
    /// What was waited for (`queue.declare`, `publisher confirm`, ...).
    public var operation: String
    /// The bound, in seconds.
    public var seconds: Double

    /// Creates the error.
    public init(operation: String, seconds: Double) {
        self.operation = operation
        self.seconds = seconds
    }

    /// A one-line account of the error, without secrets.
    public var description: String { "BlockingCallTimeout: \(operation) took longer than \(seconds) s" }
}
