/// The parts of an `amqp://` or `amqps://` URL, split and percent-decoded (the syntax only; the
/// query's meaning is `URLQueryOptions`'s).
///
/// `amqp[s]://[user[:password]@][host][:port][/vhost][?key=value&...]`, with an IPv6 host in
/// brackets. Errors never contain the URL's text: to make sure no part of a password can end up
/// in a host, port, virtual host or query (a password with an unencoded `/`, `?` or `#`), an `@`
/// after the host and a fragment (`#`) are refused.
struct AMQPURL: Sendable, Hashable {
    /// Whether the scheme is `amqps`.
    var isTLS: Bool
    /// The decoded user name; nil without user information.
    var username: String?
    /// The decoded password; nil when the user information has no `:`.
    var password: String?
    /// Where the password is, as written (percent-encoded), in the string given to
    /// `init(parsing:)`: for redacting it (`URLParameters.redactingPassword(in:)`).
    var passwordRange: Range<String.Index>?
    /// The host (lowercased; an IPv6 address without its brackets); nil when empty.
    var host: String?
    /// The port; nil when absent or empty.
    var port: Int?
    /// The decoded virtual host; nil when the path is empty or `/`.
    var virtualHost: String?
    /// The query's key-value pairs, decoded (`+` as a space), in order.
    var query: [QueryItem]

    /// One `key=value` of the query.
    struct QueryItem: Sendable, Hashable {
        var key: String
        var value: String
    }

    /// Splits and decodes `url`.
    init(parsing url: String) throws(URLParametersError) {
        let text = Self.trimmed(url)
        if text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            throw URLParametersError(key: nil, reason: "malformed URL: it contains a space or control character (percent-encode it)")
        }
        // The parser finds its delimiters among characters (grapheme clusters): a delimiter
        // with a combining mark after it is one character, and would be passed over (a
        // password after "user:" + U+0301 would be taken for part of the user name).
        if text.contains(where: { $0.unicodeScalars.count > 1 && Self.delimiters.contains($0.unicodeScalars.first!) }) {
            throw URLParametersError(
                key: nil, reason: "malformed URL: a combining mark follows one of : / ? # @ [ ] & = % (percent-encode it)")
        }
        guard let schemeEnd = text.firstRange(of: "://") else {
            throw URLParametersError(key: nil, reason: "malformed URL: expected it to start with amqp:// or amqps://")
        }
        switch text[..<schemeEnd.lowerBound].lowercased() {
        case "amqp": isTLS = false
        case "amqps": isTLS = true
        default: throw URLParametersError(key: nil, reason: "unsupported URL scheme; supported schemes: amqp, amqps")
        }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let remainder = rest[authorityEnd...]
        if remainder.contains("@") {
            throw URLParametersError(
                key: nil,
                reason: "malformed URL: '@' after the host; percent-encode '/', '?', '#' and '@' in a user name or password, "
                    + "and '@' in the virtual host and query values (%2F, %3F, %23, %40)")
        }
        if remainder.contains("#") {
            throw URLParametersError(key: nil, reason: "malformed URL: a fragment ('#') is not allowed; percent-encode '#' as %23")
        }

        // User information: up to the last '@' of the authority.
        var hostAndPort = authority
        username = nil
        password = nil
        passwordRange = nil
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            hostAndPort = authority[authority.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                username = try Self.decode(userinfo[..<colon], key: "username")
                let written = userinfo[userinfo.index(after: colon)...]
                password = try Self.decode(written, key: "password")
                passwordRange = written.startIndex..<written.endIndex
            } else {
                username = try Self.decode(userinfo, key: "username")
            }
        }

        let portText: Substring?
        (host, portText) = try Self.splitHost(hostAndPort)
        if let portText, !portText.isEmpty {
            guard portText.utf8.count <= 5, portText.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let port = Int(portText),
                (1...65535).contains(port)
            else {
                throw URLParametersError(key: "port", reason: "must be a number 1...65535")
            }
            self.port = port
        } else {
            port = nil
        }

        // Path and query.
        let queryStart = remainder.firstIndex(of: "?")
        let path = remainder[..<(queryStart ?? remainder.endIndex)]
        virtualHost = try Self.virtualHost(fromPath: path)
        query = []
        if let queryStart {
            query = try Self.queryPairs(remainder[remainder.index(after: queryStart)...])
        }
    }

    /// The characters that split a URL into its parts.
    private static let delimiters = Set(":/?#@[]&=%".unicodeScalars)

    /// `text` without leading and trailing whitespace.
    private static func trimmed(_ text: String) -> Substring {
        let start = text.firstIndex { !$0.isWhitespace } ?? text.endIndex
        let end = text.lastIndex { !$0.isWhitespace }.map { text.index(after: $0) } ?? start
        return text[start..<max(start, end)]
    }

    private static func decode(_ part: Substring, key: String, plusAsSpace: Bool = false) throws(URLParametersError) -> String {
        do {
            return try PercentDecoding.decode(part, plusAsSpace: plusAsSpace)
        } catch {
            throw URLParametersError(key: key, reason: error.reason)
        }
    }

    /// The host (nil when empty) and the text after its `:` (nil without one).
    private static func splitHost(_ hostAndPort: Substring) throws(URLParametersError) -> (String?, Substring?) {
        if hostAndPort.first == "[" {
            guard let close = hostAndPort.firstIndex(of: "]") else {
                throw URLParametersError(key: "host", reason: "an IPv6 address needs its closing ']'")
            }
            let address = try ipv6Address(hostAndPort[hostAndPort.index(after: hostAndPort.startIndex)..<close])
            let after = hostAndPort[hostAndPort.index(after: close)...]
            guard after.isEmpty || after.first == ":" else {
                throw URLParametersError(key: "host", reason: "only ':port' may follow an IPv6 address")
            }
            return (address, after.isEmpty ? nil : after.dropFirst())
        }
        let colon = hostAndPort.firstIndex(of: ":")
        let hostText = hostAndPort[..<(colon ?? hostAndPort.endIndex)]
        let host = try decode(hostText, key: "host")
        if host.unicodeScalars.contains(where: { " []/@:?#%".unicodeScalars.contains($0) || $0.value < 0x20 || $0.value == 0x7F })
            || host.contains(where: \.isWhitespace)
        {
            throw URLParametersError(key: "host", reason: "is not a valid host name or address")
        }
        return (host.isEmpty ? nil : host.lowercased(), colon.map { hostAndPort[hostAndPort.index(after: $0)...] })
    }

    /// An IPv6 address from between brackets: hexadecimal digits, ':' and '.', and optionally a
    /// zone after `%25` (RFC 6874).
    private static func ipv6Address(_ text: Substring) throws(URLParametersError) -> String {
        let zoneStart = text.firstRange(of: "%25")
        let address = text[..<(zoneStart?.lowerBound ?? text.endIndex)]
        guard address.contains(":"), address.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
            throw URLParametersError(key: "host", reason: "is not a valid IPv6 address")
        }
        guard let zoneStart else { return address.lowercased() }
        let zone = try decode(text[zoneStart.upperBound...], key: "host")
        guard !zone.isEmpty, zone.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._~".contains($0)) }) else {
            throw URLParametersError(key: "host", reason: "is not a valid IPv6 zone")
        }
        return address.lowercased() + "%" + zone
    }

    /// The virtual host from the path, as Pika takes it: nil for "" and "/", else the first
    /// segment decoded (`%2f` is "/"). More non-empty segments are refused rather than dropped.
    private static func virtualHost(fromPath path: Substring) throws(URLParametersError) -> String? {
        guard path.count > 1 else { return nil }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if segments.dropFirst().contains(where: { !$0.isEmpty }) {
            throw URLParametersError(key: "virtual_host", reason: "has more than one path segment; percent-encode '/' in it as %2F")
        }
        return try decode(segments.first ?? "", key: "virtual_host")
    }

    /// The query's pairs, split at '&' (empty pieces skipped) and the first '='.
    private static func queryPairs(_ query: Substring) throws(URLParametersError) -> [QueryItem] {
        var pairs: [QueryItem] = []
        for piece in query.split(separator: "&") {
            let equals = piece.firstIndex(of: "=")
            let key = try decode(piece[..<(equals ?? piece.endIndex)], key: "query", plusAsSpace: true)
            if key.isEmpty {
                throw URLParametersError(key: nil, reason: "malformed URL: a query parameter without a name")
            }
            guard let equals else {
                throw URLParametersError(key: key, reason: "expected key=value")
            }
            let value = try decode(piece[piece.index(after: equals)...], key: key, plusAsSpace: true)
            pairs.append(QueryItem(key: key, value: value))
        }
        return pairs
    }
}
