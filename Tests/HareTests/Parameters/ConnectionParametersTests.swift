import AMQPProtocol
import Testing

@testable import Hare

/// ConnectionParameters: Pika's defaults, the port rule, `validate()` and the description.
@Suite("Connection parameters")
struct ConnectionParametersTests {
    /// pika.connection.Parameters' DEFAULT_* values.
    @Test func defaultsArePikas() throws {
        let parameters = ConnectionParameters()
        #expect(parameters.host == "localhost")
        #expect(parameters.port == 5672)
        #expect(parameters.virtualHost == "/")
        let credentials = try #require(parameters.credentials as? PlainCredentials)
        #expect(credentials == PlainCredentials(username: "guest", password: "guest"))
        #expect(parameters.channelMax == 65535)
        #expect(parameters.frameMax == 131_072)
        #expect(parameters.heartbeat == nil)
        #expect(parameters.heartbeatCallback == nil)
        #expect(parameters.connectionAttempts == 1)
        #expect(parameters.retryDelay == 2.0)
        #expect(parameters.socketTimeout == 10.0)
        #expect(parameters.stackTimeout == 15.0)
        #expect(parameters.locale == "en_US")
        #expect(parameters.blockedConnectionTimeout == nil)
        #expect(parameters.clientProperties == nil)
        #expect(parameters.sslOptions == nil)
        #expect(parameters.tcpOptions == nil)
        #expect(parameters.maxBodySize == 64 * 1024 * 1024)
        #expect(validationError(parameters) == nil)
        #expect(parameters.connectionParameters.host == parameters.host)
    }

    @Test func portFollowsTLS() {
        #expect(ConnectionParameters(sslOptions: SSLOptions()).port == 5671)
        #expect(ConnectionParameters(port: 5672, sslOptions: SSLOptions()).port == 5672)
        #expect(ConnectionParameters(port: 1234).port == 1234)
        #expect(ConnectionParameters.defaultPort == 5672)
        #expect(ConnectionParameters.defaultTLSPort == 5671)
    }

    @Test func everyArgument() {
        let parameters = ConnectionParameters(
            host: "rabbit", port: 1, virtualHost: "v", credentials: ExternalCredentials(), channelMax: 2, frameMax: 4096,
            heartbeat: 3, heartbeatCallback: { $0 / 2 }, connectionAttempts: 4, retryDelay: 5, socketTimeout: nil,
            stackTimeout: 6, locale: "fr_FR", blockedConnectionTimeout: 7, clientProperties: ["connection_name": "x"],
            sslOptions: SSLOptions(caFile: "/ca"), tcpOptions: TCPOptions(keepIdle: 8), maxBodySize: 9)
        #expect(parameters.host == "rabbit")
        #expect(parameters.port == 1)
        #expect(parameters.virtualHost == "v")
        #expect(parameters.credentials is ExternalCredentials)
        #expect(parameters.channelMax == 2)
        #expect(parameters.frameMax == 4096)
        #expect(parameters.heartbeat == 3)
        #expect(parameters.heartbeatCallback?(60) == 30)
        #expect(parameters.connectionAttempts == 4)
        #expect(parameters.retryDelay == 5)
        #expect(parameters.socketTimeout == nil)
        #expect(parameters.stackTimeout == 6)
        #expect(parameters.locale == "fr_FR")
        #expect(parameters.blockedConnectionTimeout == 7)
        #expect(parameters.clientProperties == ["connection_name": "x"])
        #expect(parameters.sslOptions?.caFile == "/ca")
        #expect(parameters.tcpOptions?.keepIdle == 8)
        #expect(parameters.maxBodySize == 9)
        #expect(validationError(parameters) == nil)
    }

    /// A change that `validate()` refuses, and the key it names.
    static let invalid: [(name: String, key: String, change: @Sendable (inout ConnectionParameters) -> Void)] = [
        ("empty host", "host", { $0.host = "" }),
        ("port 0", "port", { $0.port = 0 }),
        ("port 65536", "port", { $0.port = 65536 }),
        ("port -1", "port", { $0.port = -1 }),
        ("long vhost", "virtual_host", { $0.virtualHost = String(repeating: "é", count: 128) }),
        ("empty locale", "locale", { $0.locale = "" }),
        ("long locale", "locale", { $0.locale = String(repeating: "l", count: 256) }),
        ("channel_max 0", "channel_max", { $0.channelMax = 0 }),
        ("frame_max 4095", "frame_max", { $0.frameMax = 4095 }),
        ("frame_max 0", "frame_max", { $0.frameMax = 0 }),
        ("frame_max 2^31", "frame_max", { $0.frameMax = 1 << 31 }),
        ("connection_attempts 0", "connection_attempts", { $0.connectionAttempts = 0 }),
        ("retry_delay -1", "retry_delay", { $0.retryDelay = -1 }),
        ("retry_delay nan", "retry_delay", { $0.retryDelay = .nan }),
        ("retry_delay inf", "retry_delay", { $0.retryDelay = .infinity }),
        ("socket_timeout 0", "socket_timeout", { $0.socketTimeout = 0 }),
        ("socket_timeout -1", "socket_timeout", { $0.socketTimeout = -1 }),
        ("socket_timeout inf", "socket_timeout", { $0.socketTimeout = .infinity }),
        ("stack_timeout 0", "stack_timeout", { $0.stackTimeout = 0 }),
        ("stack_timeout nan", "stack_timeout", { $0.stackTimeout = .nan }),
        ("blocked_connection_timeout -1", "blocked_connection_timeout", { $0.blockedConnectionTimeout = -1 }),
        ("max_body_size 0", "max_body_size", { $0.maxBodySize = 0 }),
        ("TCP_KEEPIDLE 0", "tcp_options", { $0.tcpOptions = TCPOptions(keepIdle: 0) }),
        ("TCP_KEEPINTVL 0", "tcp_options", { $0.tcpOptions = TCPOptions(keepInterval: 0) }),
        ("TCP_KEEPCNT -1", "tcp_options", { $0.tcpOptions = TCPOptions(keepCount: -1) }),
        ("TCP_USER_TIMEOUT -1", "tcp_options", { $0.tcpOptions = TCPOptions(userTimeout: -1) }),
        ("TCP_KEEPIDLE over a C int", "tcp_options", { $0.tcpOptions = TCPOptions(keepIdle: Int(Int32.max) + 1) }),
        ("TCP_USER_TIMEOUT over a C int", "tcp_options", { $0.tcpOptions = TCPOptions(userTimeout: 1 << 40) }),
        ("receive coalescing bytes -1", "tcp_options", { $0.tcpOptions = TCPOptions(receiveCoalescingBytes: -1) }),
        ("receive coalescing bytes over a C int", "tcp_options", { $0.tcpOptions = TCPOptions(receiveCoalescingBytes: 1 << 40) }),
        ("receive coalescing delay 0", "tcp_options", { $0.tcpOptions = TCPOptions(receiveCoalescingDelay: 0) }),
        ("receive coalescing delay 2 s", "tcp_options", { $0.tcpOptions = TCPOptions(receiveCoalescingDelay: 2) }),
        ("receive coalescing delay nan", "tcp_options", { $0.tcpOptions = TCPOptions(receiveCoalescingDelay: .nan) }),
        ("empty CA file", "ssl_options", { $0.sslOptions = SSLOptions(caFile: "") }),
        ("empty certificate file", "ssl_options", { $0.sslOptions = SSLOptions(certificateFile: "") }),
        ("key without certificate", "ssl_options", { $0.sslOptions = SSLOptions(privateKeyFile: "/k.pem") }),
        ("empty server_hostname", "ssl_options", { $0.sslOptions = SSLOptions(serverHostname: "") }),
    ]

    @Test("validate() refuses", arguments: invalid)
    func validateRefuses(_ name: String, key: String, change: @Sendable (inout ConnectionParameters) -> Void) throws {
        var parameters = ConnectionParameters()
        change(&parameters)
        let error = try #require(validationError(parameters), "\(name)")
        #expect(error.key == key)
        #expect(error.description.hasPrefix("ParametersError: \(key): "))
    }

    @Test func validateAcceptsTheEdges() {
        var parameters = ConnectionParameters(port: 65535, channelMax: 1, frameMax: 4096, retryDelay: 0, socketTimeout: 0.001)
        parameters.blockedConnectionTimeout = 0
        parameters.virtualHost = String(repeating: "v", count: 255)
        parameters.tcpOptions = TCPOptions(keepAlive: false, keepIdle: 1, keepInterval: 1, keepCount: 1, userTimeout: 0)
        parameters.sslOptions = SSLOptions(certificateFile: "/c.pem")
        #expect(validationError(parameters) == nil)
        parameters.frameMax = UInt32(Int32.max)
        parameters.port = 1
        #expect(validationError(parameters) == nil)
    }

    @Test func validationErrorText() throws {
        let error = try #require(validationError(ConnectionParameters(frameMax: 100)))
        #expect(error == ParametersError(key: "frame_max", reason: "must be 4096...2147483647, got 100"))
        #expect(error.description == "ParametersError: frame_max: must be 4096...2147483647, got 100")
    }

    @Test func description() {
        let parameters = ConnectionParameters(host: "rabbit", virtualHost: "/", credentials: PlainCredentials(username: "u", password: "p"))
        #expect(
            parameters.description
                == #"ConnectionParameters(host: "rabbit", port: 5672, virtualHost: "/", tls: false, "#
                + #"credentials: PlainCredentials(username: "u", password: <redacted>))"#)
        #expect(ConnectionParameters(credentials: ExternalCredentials()).description.hasSuffix("credentials: ExternalCredentials())"))
    }

    @Test func tcpOptionsKeepAliveRule() {
        #expect(TCPOptions().enablesKeepAlive == false)
        #expect(TCPOptions().noDelay)
        #expect(TCPOptions(keepIdle: 1).enablesKeepAlive)
        #expect(TCPOptions(keepInterval: 1).enablesKeepAlive)
        #expect(TCPOptions(keepCount: 1).enablesKeepAlive)
        #expect(TCPOptions(userTimeout: 1).enablesKeepAlive == false)
        #expect(TCPOptions(keepAlive: false, keepIdle: 1).enablesKeepAlive == false)
        #expect(TCPOptions(keepAlive: true).enablesKeepAlive)
    }
}
