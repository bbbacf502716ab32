/// Thrown by `IOLoop.start()` when the process receives SIGINT (Ctrl-C) while the loop runs, like
/// Python's `KeyboardInterrupt` in Pika programs. The connection is untouched: close it and call
/// `start()` again to let the close finish.
public struct KeyboardInterrupt: Error, Sendable, CustomStringConvertible {
    /// Creates the error.
    public init() {}
    /// A one-line account of the error, without secrets.
    public var description: String { "KeyboardInterrupt" }
}
