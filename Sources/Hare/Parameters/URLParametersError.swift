/// An AMQP URL that `URLParameters` cannot accept: malformed, with an unknown query key, or with
/// a bad value.
///
/// The error never contains the URL text, the user name's or password's text; it may quote the
/// value of a query key.
public struct URLParametersError: AMQPError, Hashable {
    /// The query key (for example `"heartbeat"`) or URL part (`"port"`, `"password"`,
    /// `"virtual_host"`...) at fault; nil when the URL as a whole is malformed.
    public var key: String?
    /// What is wrong.
    public var reason: String

    /// Creates the error.
    public init(key: String?, reason: String) {
        self.key = key
        self.reason = reason
    }

    /// "URLParametersError: <key>: <reason>", or without the key when there is none.
    public var description: String {
        if let key { "URLParametersError: \(key): \(reason)" } else { "URLParametersError: \(reason)" }
    }
}
