/// A connection parameter has a value Hare cannot connect with, found by
/// `ConnectionParameters.validate()` or while loading TLS files.
public struct ParametersError: AMQPError, Hashable {
    /// The parameter, by Pika's name (for example `"frame_max"` or `"ssl_options"`).
    public var key: String
    /// What is wrong with it. Never contains a password.
    public var reason: String

    /// Creates the error.
    public init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }

    /// "ParametersError: <key>: <reason>".
    public var description: String { "ParametersError: \(key): \(reason)" }
}
