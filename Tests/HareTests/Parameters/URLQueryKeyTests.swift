import AMQPProtocol
import Testing

@testable import Hare

/// Every query key of Pika's URLParameters (and `auth_mechanism`): good values and what they set,
/// bad values and the key their error names.
@Suite("URL query keys")
struct URLQueryKeyTests {
    func parameters(_ query: String, scheme: String = "amqp") throws -> ConnectionParameters {
        try URLParameters("\(scheme)://rabbit/?\(query)").connectionParameters
    }

    @Test func heartbeat() throws {
        #expect(try parameters("heartbeat=0").heartbeat == 0)
        #expect(try parameters("heartbeat=60").heartbeat == 60)
        #expect(try parameters("heartbeat=%2B7").heartbeat == 7)
        #expect(try parameters("heartbeat=65535").heartbeat == 65535)
        #expect(try parameters("locale=x").heartbeat == nil)
    }

    @Test func channelMax() throws {
        #expect(try parameters("channel_max=1").channelMax == 1)
        #expect(try parameters("channel_max=2047").channelMax == 2047)
        #expect(try parameters("channel_max=65535").channelMax == 65535)
    }

    @Test func frameMax() throws {
        #expect(try parameters("frame_max=4096").frameMax == 4096)
        #expect(try parameters("frame_max=131072").frameMax == 131_072)
        #expect(try parameters("frame_max=2147483647").frameMax == 2_147_483_647)
    }

    @Test func connectionAttempts() throws {
        #expect(try parameters("connection_attempts=1").connectionAttempts == 1)
        #expect(try parameters("connection_attempts=5").connectionAttempts == 5)
    }

    @Test func timeouts() throws {
        #expect(try parameters("retry_delay=0").retryDelay == 0)
        #expect(try parameters("retry_delay=2.5").retryDelay == 2.5)
        #expect(try parameters("retry_delay=1e1").retryDelay == 10)
        #expect(try parameters("socket_timeout=0.25").socketTimeout == 0.25)
        #expect(try parameters("socket_timeout=5").socketTimeout == 5)
        #expect(try parameters("stack_timeout=30").stackTimeout == 30)
        #expect(try parameters("stack_timeout=.5").stackTimeout == 0.5)
        #expect(try parameters("blocked_connection_timeout=0").blockedConnectionTimeout == 0)
        #expect(try parameters("blocked_connection_timeout=300").blockedConnectionTimeout == 300)
    }

    @Test func locale() throws {
        #expect(try parameters("locale=fr_FR").locale == "fr_FR")
        #expect(try parameters("locale=de+DE").locale == "de DE")
        #expect(try parameters("locale=%C3%A9").locale == "é")
    }

    @Test func severalKeys() throws {
        let parameters = try parameters("heartbeat=5&channel_max=10&frame_max=8192&connection_attempts=3&retry_delay=1&locale=en_GB")
        #expect(parameters.heartbeat == 5)
        #expect(parameters.channelMax == 10)
        #expect(parameters.frameMax == 8192)
        #expect(parameters.connectionAttempts == 3)
        #expect(parameters.retryDelay == 1)
        #expect(parameters.locale == "en_GB")
    }

    @Test func clientProperties() throws {
        let parameters = try parameters(#"client_properties={"connection_name":"worker+1","n":3,"x":1.5,"t":true,"v":null,"# + #""a":[1,"b"],"o":{"p":false}}"#)
        let expected: FieldTable = [
            "connection_name": .string("worker 1"),
            "n": .int64(3),
            "x": .double(1.5),
            "t": .boolean(true),
            "v": .void,
            "a": .array([.int64(1), .string("b")]),
            "o": .table(["p": .boolean(false)]),
        ]
        #expect(parameters.clientProperties == expected)
        #expect(try self.parameters("client_properties=null").clientProperties == nil)
        #expect(try self.parameters("client_properties=%7B%7D").clientProperties == FieldTable())
        #expect(
            try self.parameters("client_properties=%7B%22connection_name%22%3A%22w%40x%22%7D").clientProperties
                == ["connection_name": "w@x"])
    }

    @Test func sslOptions() throws {
        let full = try #require(try parameters(#"ssl_options={"ca_certs":"/ca.pem","certfile":"/c.pem","keyfile":"/k.pem","server_hostname":"rabbit.example"}"#).sslOptions)
        #expect(full == SSLOptions(caFile: "/ca.pem", certificateFile: "/c.pem", privateKeyFile: "/k.pem", serverHostname: "rabbit.example"))
        #expect(try parameters(#"ssl_options={"cafile":"/ca.pem"}"#).sslOptions?.caFile == "/ca.pem")
        #expect(try parameters(#"ssl_options={"ca_certs":null,"server_hostname":null}"#).sslOptions == SSLOptions())
        #expect(try parameters(#"ssl_options={"verify":true}"#).sslOptions?.certificateVerification == .fullVerification)
        #expect(try parameters(#"ssl_options={"check_hostname":false}"#).sslOptions?.certificateVerification == .noHostnameVerification)
        #expect(try parameters(#"ssl_options={"verify":false}"#).sslOptions?.certificateVerification == .insecureNoVerification)
        #expect(
            try parameters(#"ssl_options={"verify":false,"check_hostname":false}"#).sslOptions?.certificateVerification
                == .insecureNoVerification)
        #expect(try parameters(#"ssl_options={"verify":false}"#, scheme: "amqps").sslOptions?.certificateVerification == .insecureNoVerification)
        #expect(try parameters("ssl_options=null").sslOptions == nil)
    }

    /// ssl_options turns TLS on with the amqp scheme too; then the default port is 5671 (unless
    /// the URL gives one).
    @Test func sslOptionsOnAmqpScheme() throws {
        let parameters = try parameters("ssl_options=%7B%7D")
        #expect(parameters.sslOptions == SSLOptions())
        #expect(parameters.port == 5671)
        #expect(try URLParameters("amqp://rabbit:5672?ssl_options={}").connectionParameters.port == 5672)
    }

    @Test func tcpOptions() throws {
        let options = try #require(try parameters(#"tcp_options={"TCP_KEEPIDLE":60,"TCP_KEEPINTVL":10,"TCP_KEEPCNT":3,"TCP_USER_TIMEOUT":30000}"#).tcpOptions)
        #expect(options == TCPOptions(keepIdle: 60, keepInterval: 10, keepCount: 3, userTimeout: 30000))
        #expect(options.enablesKeepAlive)
        #expect(try parameters(#"tcp_options={"TCP_KEEPALIVE":true}"#).tcpOptions == TCPOptions(keepAlive: true))
        #expect(try parameters(#"tcp_options={"TCP_KEEPALIVE":0}"#).tcpOptions == TCPOptions(keepAlive: false))
        #expect(try parameters(#"tcp_options={"TCP_KEEPALIVE":1}"#).tcpOptions == TCPOptions(keepAlive: true))
        #expect(try parameters("tcp_options={}").tcpOptions == TCPOptions())
        #expect(try parameters("tcp_options=null").tcpOptions == nil)
        let coalescing = try #require(try parameters(#"tcp_options={"RECEIVE_COALESCING_BYTES":0,"RECEIVE_COALESCING_DELAY":0.002}"#).tcpOptions)
        #expect(coalescing == TCPOptions(receiveCoalescingBytes: 0, receiveCoalescingDelay: 0.002))
        #expect(try parameters(#"tcp_options={"RECEIVE_COALESCING_DELAY":1}"#).tcpOptions?.receiveCoalescingDelay == 1)
    }

    @Test func authMechanism() throws {
        let external = try URLParameters("amqps://user:pw@rabbit?auth_mechanism=EXTERNAL").connectionParameters
        #expect(external.credentials is ExternalCredentials)
        #expect(external.credentials.mechanism == "EXTERNAL")
        #expect(try parameters("auth_mechanism=external").credentials is ExternalCredentials)
        let plain = try URLParameters("amqp://user:pw@rabbit?auth_mechanism=PLAIN").connectionParameters
        #expect(plain.credentials as? PlainCredentials == PlainCredentials(username: "user", password: "pw"))
        #expect(try parameters("auth_mechanism=plain").credentials as? PlainCredentials == PlainCredentials(username: "guest", password: "guest"))
    }

    /// A bad value: the query and the key its error must name.
    static let bad: [(query: String, key: String)] = [
        ("heartbeat=-1", "heartbeat"),
        ("heartbeat=65536", "heartbeat"),
        ("heartbeat=abc", "heartbeat"),
        ("heartbeat=", "heartbeat"),
        ("heartbeat=1.5", "heartbeat"),
        ("heartbeat=+", "heartbeat"),
        ("heartbeat=99999999999999999999999", "heartbeat"),
        ("channel_max=0", "channel_max"),
        ("channel_max=65536", "channel_max"),
        ("channel_max=x", "channel_max"),
        ("frame_max=4095", "frame_max"),
        ("frame_max=2147483648", "frame_max"),
        ("frame_max=0x1000", "frame_max"),
        ("connection_attempts=0", "connection_attempts"),
        ("connection_attempts=-3", "connection_attempts"),
        ("connection_attempts=1.0", "connection_attempts"),
        ("retry_delay=-1", "retry_delay"),
        ("retry_delay=nan", "retry_delay"),
        ("retry_delay=inf", "retry_delay"),
        ("retry_delay=1e999", "retry_delay"),
        ("retry_delay=0x10", "retry_delay"),
        ("retry_delay=", "retry_delay"),
        ("retry_delay=2s", "retry_delay"),
        ("socket_timeout=0", "socket_timeout"),
        ("socket_timeout=-1", "socket_timeout"),
        ("socket_timeout=None", "socket_timeout"),
        ("stack_timeout=0", "stack_timeout"),
        ("stack_timeout=x", "stack_timeout"),
        ("blocked_connection_timeout=-0.5", "blocked_connection_timeout"),
        ("blocked_connection_timeout=x", "blocked_connection_timeout"),
        ("locale=", "locale"),
        ("locale=" + String(repeating: "x", count: 256), "locale"),
        ("client_properties=", "client_properties"),
        ("client_properties=[1]", "client_properties"),
        ("client_properties=5", "client_properties"),
        ("client_properties={", "client_properties"),
        ("client_properties={'a':1}", "client_properties"),
        ("client_properties={\"a\":True}", "client_properties"),
        (#"client_properties={"a":1,"a":2}"#, "client_properties"),
        (#"client_properties={""# + String(repeating: "k", count: 256) + #"":1}"#, "client_properties"),
        ("ssl_options=", "ssl_options"),
        ("ssl_options=[]", "ssl_options"),
        ("ssl_options=true", "ssl_options"),
        (#"ssl_options={"ciphers":"ALL"}"#, "ssl_options"),
        (#"ssl_options={"ca_certs":5}"#, "ssl_options"),
        (#"ssl_options={"verify":"no"}"#, "ssl_options"),
        (#"ssl_options={"check_hostname":1}"#, "ssl_options"),
        (#"ssl_options={"verify":false,"check_hostname":true}"#, "ssl_options"),
        (#"ssl_options={"ca_certs":"/a","cafile":"/b"}"#, "ssl_options"),
        (#"ssl_options={"keyfile":"/k.pem"}"#, "ssl_options"),
        (#"ssl_options={"ca_certs":""}"#, "ssl_options"),
        (#"ssl_options={"server_hostname":""}"#, "ssl_options"),
        ("tcp_options=", "tcp_options"),
        ("tcp_options=[]", "tcp_options"),
        (#"tcp_options={"TCP_NODELAY":1}"#, "tcp_options"),
        (#"tcp_options={"TCP_KEEPIDLE":"60"}"#, "tcp_options"),
        (#"tcp_options={"TCP_KEEPIDLE":1.5}"#, "tcp_options"),
        (#"tcp_options={"TCP_KEEPIDLE":0}"#, "tcp_options"),
        (#"tcp_options={"TCP_KEEPCNT":-1}"#, "tcp_options"),
        (#"tcp_options={"TCP_USER_TIMEOUT":-1}"#, "tcp_options"),
        (#"tcp_options={"TCP_KEEPALIVE":2}"#, "tcp_options"),
        (#"tcp_options={"TCP_KEEPALIVE":null}"#, "tcp_options"),
        (#"tcp_options={"RECEIVE_COALESCING_BYTES":-1}"#, "tcp_options"),
        (#"tcp_options={"RECEIVE_COALESCING_BYTES":0.5}"#, "tcp_options"),
        (#"tcp_options={"RECEIVE_COALESCING_DELAY":0}"#, "tcp_options"),
        (#"tcp_options={"RECEIVE_COALESCING_DELAY":"1ms"}"#, "tcp_options"),
        ("auth_mechanism=CRAM-MD5", "auth_mechanism"),
        ("auth_mechanism=", "auth_mechanism"),
    ]

    @Test("Bad values", arguments: bad)
    func badValue(_ query: String, key: String) throws {
        let error = try #require(urlError("amqp://rabbit/?" + query))
        #expect(error.key == key)
        #expect(error.description.hasPrefix("URLParametersError: \(key): "))
    }

    /// ssl_options=null contradicts amqps.
    @Test func nullSSLOptionsWithAmqps() throws {
        let error = try #require(urlError("amqps://rabbit/?ssl_options=null"))
        #expect(error.key == "ssl_options")
    }

    /// Bad values are quoted (cut to 64 characters) so that the user sees what was wrong.
    @Test func badValueIsQuoted() throws {
        let error = try #require(urlError("amqp://rabbit/?heartbeat=soon"))
        #expect(error.description == #"URLParametersError: heartbeat: expected an integer, got "soon""#)
        let long = try #require(urlError("amqp://rabbit/?retry_delay=" + String(repeating: "9", count: 100) + "x"))
        #expect(long.description.contains(String(repeating: "9", count: 64) + "...\""))
        #expect(!long.description.contains(String(repeating: "9", count: 65)))
    }

    /// A JSON error says where the JSON went wrong.
    @Test func jsonErrorHasOffset() throws {
        let error = try #require(urlError(#"amqp://rabbit/?client_properties={"a":tru}"#))
        #expect(error.description == "URLParametersError: client_properties: invalid JSON: invalid literal at offset 5")
    }
}
