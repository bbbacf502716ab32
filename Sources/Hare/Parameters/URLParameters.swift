/// Connection parameters from an AMQP URL (Pika's `URLParameters`):
/// `amqp[s]://[user[:password]@][host][:port][/vhost][?key=value&...]`.
///
/// - `amqps` turns TLS on (with full verification) and makes 5671 the default port; `amqp` uses
///   5672.
/// - The user name, password, host and virtual host are percent-decoded: `%2f` is the vhost "/".
///   No path, or the path `/`, means the vhost "/". Without user information the credentials are
///   guest/guest. An IPv6 host goes in brackets: `amqp://[::1]:5672/`.
/// - Query keys, as Pika's: `heartbeat`, `channel_max`, `frame_max`, `connection_attempts`,
///   `retry_delay`, `socket_timeout`, `stack_timeout`, `locale`, `blocked_connection_timeout`,
///   `client_properties`, `ssl_options`, `tcp_options` (the last three in JSON where Pika takes
///   Python literals, for example `client_properties={"connection_name":"worker"}`), and
///   `auth_mechanism` (`PLAIN` or `EXTERNAL`).
///
/// An unknown key, a repeated key, a bad value or a malformed URL throws a `URLParametersError`
/// that names the key and never contains the password (nor the URL). Characters that would split
/// a password (`/ ? # @`) must be percent-encoded in it; an unencoded `@` after the host or a
/// fragment is refused rather than guessed at.
public struct URLParameters: ConnectionParametersConvertible, CustomStringConvertible {
    /// The parameters the URL describes; change them freely before connecting.
    public var connectionParameters: ConnectionParameters

    /// Parses `url`.
    public init(_ url: String) throws(URLParametersError) {
        let parsed = try AMQPURL(parsing: url)
        var parameters = ConnectionParameters()
        parameters.sslOptions = parsed.isTLS ? SSLOptions() : nil
        if let host = parsed.host { parameters.host = host }
        if let username = parsed.username {
            parameters.credentials = PlainCredentials(username: username, password: parsed.password ?? "")
        }
        if let virtualHost = parsed.virtualHost { parameters.virtualHost = virtualHost }
        var seen: Set<String> = []
        for item in parsed.query {
            guard seen.insert(item.key).inserted else {
                throw URLParametersError(key: item.key, reason: "given more than once")
            }
            try URLQueryOptions.apply(key: item.key, value: item.value, to: &parameters, isTLSScheme: parsed.isTLS)
        }
        // The port last, once the query has settled whether TLS is on.
        parameters.port = parsed.port ?? (parameters.sslOptions == nil ? ConnectionParameters.defaultPort : ConnectionParameters.defaultTLSPort)
        do {
            try parameters.validate()
        } catch {
            throw URLParametersError(key: error.key, reason: error.reason)
        }
        connectionParameters = parameters
    }

    /// `url` with its password replaced by `<redacted>`, for reports and logs: unchanged when
    /// it has no password, and `<redacted URL>` when it cannot be split into its parts (a
    /// broken URL can put its password anywhere). A URL that splits but has a query value
    /// `init(_:)` refuses (an unknown key, a bad number) keeps its query; one whose parts do not
    /// percent-decode is redacted whole.
    public static func redactingPassword(in url: String) -> String {
        guard let parsed = try? AMQPURL(parsing: url) else { return "<redacted URL>" }
        guard let range = parsed.passwordRange else { return url }
        var redacted = url
        redacted.replaceSubrange(range, with: "<redacted>")
        return redacted
    }

    /// The parameters' description (never the password).
    public var description: String {
        "URLParameters(\(connectionParameters))"
    }
}
