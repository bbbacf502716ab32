import AMQPProtocol

/// The query keys whose values are JSON: `client_properties`, `ssl_options`, `tcp_options`.
extension URLQueryOptions {
    /// `client_properties`: a JSON object (its values become field values, see
    /// `JSONValue.fieldValue`) or null.
    static func clientProperties(_ value: String) throws(URLParametersError) -> FieldTable? {
        let key = "client_properties"
        switch try json(value, key: key) {
        case .null:
            return nil
        case .object(let members):
            do {
                return try JSONValue.fieldTable(members)
            } catch {
                throw URLParametersError(key: key, reason: error.reason)
            }
        case let other:
            throw URLParametersError(key: key, reason: "expected a JSON object or null, got \(other.typeName)")
        }
    }

    /// `ssl_options`: null (no TLS; refused with `amqps`) or a JSON object with the keys
    /// `ca_certs` (or `cafile`), `certfile`, `keyfile`, `server_hostname` (strings or null),
    /// `verify` and `check_hostname` (booleans; both default to true).
    static func sslOptions(_ value: String, isTLSScheme: Bool) throws(URLParametersError) -> SSLOptions? {
        let key = "ssl_options"
        let members: [JSONMember]
        switch try json(value, key: key) {
        case .null:
            guard !isTLSScheme else {
                throw URLParametersError(key: key, reason: "null is inconsistent with the amqps scheme")
            }
            return nil
        case .object(let object):
            members = object
        case let other:
            throw URLParametersError(key: key, reason: "expected a JSON object or null, got \(other.typeName)")
        }
        var options = SSLOptions()
        var verify = true
        var checkHostname = true
        for member in members {
            switch member.key {
            case "ca_certs", "cafile":
                if options.caFile != nil {
                    throw URLParametersError(key: key, reason: "give only one of \"ca_certs\" and \"cafile\"")
                }
                options.caFile = try optionalString(member, key: key)
            case "certfile": options.certificateFile = try optionalString(member, key: key)
            case "keyfile": options.privateKeyFile = try optionalString(member, key: key)
            case "server_hostname": options.serverHostname = try optionalString(member, key: key)
            case "verify": verify = try bool(member, key: key)
            case "check_hostname": checkHostname = try bool(member, key: key)
            default:
                throw URLParametersError(
                    key: key,
                    reason: "unsupported key \(quoted(member.key)); supported: ca_certs (or cafile), certfile, keyfile, "
                        + "server_hostname, verify, check_hostname")
            }
        }
        switch (verify, checkHostname) {
        case (true, true): options.certificateVerification = .fullVerification
        case (true, false): options.certificateVerification = .noHostnameVerification
        case (false, false): options.certificateVerification = .insecureNoVerification
        case (false, true):
            if members.contains(where: { $0.key == "check_hostname" }) {
                throw URLParametersError(key: key, reason: "\"check_hostname\": true needs \"verify\": true")
            }
            options.certificateVerification = .insecureNoVerification
        }
        return options
    }

    /// `tcp_options`: null or a JSON object with the keys TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT,
    /// TCP_USER_TIMEOUT (integers) and TCP_KEEPALIVE (a boolean, or 0 or 1), and Hare's
    /// RECEIVE_COALESCING_BYTES (an integer; 0 turns receive coalescing off) and
    /// RECEIVE_COALESCING_DELAY (seconds, a number).
    static func tcpOptions(_ value: String) throws(URLParametersError) -> TCPOptions? {
        let key = "tcp_options"
        let members: [JSONMember]
        switch try json(value, key: key) {
        case .null:
            return nil
        case .object(let object):
            members = object
        case let other:
            throw URLParametersError(key: key, reason: "expected a JSON object or null, got \(other.typeName)")
        }
        var options = TCPOptions()
        for member in members {
            switch member.key {
            case "TCP_KEEPIDLE": options.keepIdle = try integer(member, key: key)
            case "TCP_KEEPINTVL": options.keepInterval = try integer(member, key: key)
            case "TCP_KEEPCNT": options.keepCount = try integer(member, key: key)
            case "TCP_USER_TIMEOUT": options.userTimeout = try integer(member, key: key)
            case "RECEIVE_COALESCING_BYTES": options.receiveCoalescingBytes = try integer(member, key: key)
            case "RECEIVE_COALESCING_DELAY": options.receiveCoalescingDelay = try seconds(member, key: key)
            case "TCP_KEEPALIVE":
                switch member.value {
                case .bool(let flag): options.keepAlive = flag
                case .integer(0): options.keepAlive = false
                case .integer(1): options.keepAlive = true
                default:
                    throw URLParametersError(key: key, reason: "\"TCP_KEEPALIVE\" must be a boolean, 0 or 1")
                }
            default:
                throw URLParametersError(
                    key: key,
                    reason: "unsupported key \(quoted(member.key)); supported: TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, "
                        + "TCP_USER_TIMEOUT, TCP_KEEPALIVE, RECEIVE_COALESCING_BYTES, RECEIVE_COALESCING_DELAY")
            }
        }
        return options
    }

    private static func json(_ value: String, key: String) throws(URLParametersError) -> JSONValue {
        do {
            return try JSONParser.parse(value)
        } catch {
            throw URLParametersError(key: key, reason: "invalid JSON: \(error)")
        }
    }

    private static func optionalString(_ member: JSONMember, key: String) throws(URLParametersError) -> String? {
        switch member.value {
        case .null: return nil
        case .string(let text): return text
        default: throw URLParametersError(key: key, reason: "\(quoted(member.key)) must be a string or null")
        }
    }

    private static func bool(_ member: JSONMember, key: String) throws(URLParametersError) -> Bool {
        guard case .bool(let flag) = member.value else {
            throw URLParametersError(key: key, reason: "\(quoted(member.key)) must be a boolean")
        }
        return flag
    }

    private static func seconds(_ member: JSONMember, key: String) throws(URLParametersError) -> Double {
        switch member.value {
        case .integer(let number): return Double(number)
        case .double(let number): return number
        default: throw URLParametersError(key: key, reason: "\(quoted(member.key)) must be a number of seconds")
        }
    }

    private static func integer(_ member: JSONMember, key: String) throws(URLParametersError) -> Int {
        guard case .integer(let number) = member.value, let integer = Int(exactly: number) else {
            throw URLParametersError(key: key, reason: "\(quoted(member.key)) must be an integer")
        }
        return integer
    }
}
