/// Pika's URL query keys, each parsed and applied to `ConnectionParameters`.
///
/// Numbers are decimal text as Python's `int()` and `float()` read them; `client_properties`,
/// `ssl_options` and `tcp_options` are JSON where Pika reads Python literals (see
/// `URLQueryOptions+JSON.swift`). Ranges are checked afterwards by `ConnectionParameters.validate()`.
enum URLQueryOptions {
    /// Every key `apply` knows, in Pika's (alphabetical) order, then Hare's `auth_mechanism`.
    static let keys = [
        "blocked_connection_timeout", "channel_max", "client_properties", "connection_attempts", "frame_max", "heartbeat",
        "locale", "retry_delay", "socket_timeout", "ssl_options", "stack_timeout", "tcp_options", "auth_mechanism",
    ]

    /// Applies `value` of query key `key` to `parameters`; `isTLSScheme` says whether the URL was
    /// `amqps`.
    static func apply(
        key: String, value: String, to parameters: inout ConnectionParameters, isTLSScheme: Bool
    ) throws(URLParametersError) {
        switch key {
        case "heartbeat":
            parameters.heartbeat = UInt16(try integer(value, key: key, in: 0...Int(UInt16.max)))
        case "channel_max":
            parameters.channelMax = UInt16(try integer(value, key: key, in: 1...Int(UInt16.max)))
        case "frame_max":
            let range = Int(ConnectionParameters.minimumFrameMax)...Int(ConnectionParameters.maximumFrameMax)
            parameters.frameMax = UInt32(try integer(value, key: key, in: range))
        case "connection_attempts":
            parameters.connectionAttempts = try integer(value, key: key, in: 1...Int.max)
        case "retry_delay":
            parameters.retryDelay = try seconds(value, key: key, zeroAllowed: true)
        case "socket_timeout":
            parameters.socketTimeout = try seconds(value, key: key, zeroAllowed: false)
        case "stack_timeout":
            parameters.stackTimeout = try seconds(value, key: key, zeroAllowed: false)
        case "blocked_connection_timeout":
            parameters.blockedConnectionTimeout = try seconds(value, key: key, zeroAllowed: true)
        case "locale":
            guard !value.isEmpty else { throw URLParametersError(key: key, reason: "must not be empty") }
            parameters.locale = value
        case "client_properties":
            parameters.clientProperties = try clientProperties(value)
        case "ssl_options":
            parameters.sslOptions = try sslOptions(value, isTLSScheme: isTLSScheme)
        case "tcp_options":
            parameters.tcpOptions = try tcpOptions(value)
        case "auth_mechanism":
            switch value.uppercased() {
            case "PLAIN":
                break  // the user information's credentials (or guest/guest) are PLAIN already
            case "EXTERNAL":
                parameters.credentials = ExternalCredentials()
            default:
                throw URLParametersError(key: key, reason: "must be PLAIN or EXTERNAL, got \(quoted(value))")
            }
        default:
            throw URLParametersError(key: key, reason: "unknown URL parameter; known: " + keys.joined(separator: ", "))
        }
    }

    /// A decimal integer (optional sign) in `range`.
    private static func integer(_ value: String, key: String, in range: ClosedRange<Int>) throws(URLParametersError) -> Int {
        guard let number = Int(value) else {
            throw URLParametersError(key: key, reason: "expected an integer, got \(quoted(value))")
        }
        guard range.contains(number) else {
            let bound = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "\(range.lowerBound)...\(range.upperBound)"
            throw URLParametersError(key: key, reason: "must be \(bound), got \(number)")
        }
        return number
    }

    /// A finite decimal number of seconds, not negative (and not zero unless `zeroAllowed`).
    private static func seconds(_ value: String, key: String, zeroAllowed: Bool) throws(URLParametersError) -> Double {
        let isDecimal = !value.isEmpty && value.utf8.allSatisfy {
            (0x30...0x39).contains($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E")
                || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-")
        }
        guard isDecimal, let number = Double(value), number.isFinite else {
            throw URLParametersError(key: key, reason: "expected a number of seconds, got \(quoted(value))")
        }
        guard zeroAllowed ? number >= 0 : number > 0 else {
            throw URLParametersError(key: key, reason: "must be \(zeroAllowed ? ">= 0" : "> 0"), got \(quoted(value))")
        }
        return number
    }

    /// `value` in quotes for an error message, cut to 64 characters.
    static func quoted(_ value: String) -> String {
        let cut = value.count > 64 ? String(value.prefix(64)) + "..." : value
        return String(reflecting: cut)
    }
}
