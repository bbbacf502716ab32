import AMQPProtocol
import Testing

@testable import Hare

/// URLParameters: the URL's parts (scheme, user information, host, port, virtual host) and
/// malformed URLs. The query keys are in `URLQueryKeyTests`.
@Suite("URL parameters")
struct URLParametersTests {
    /// What a URL should give.
    struct Expected: CustomTestStringConvertible, Sendable {
        var url: String
        var host = "localhost"
        var port = 5672
        var virtualHost = "/"
        var username: String? = "guest"
        var password: String? = "guest"
        var tls = false

        var testDescription: String { url }
    }

    static let good: [Expected] = [
        Expected(url: "amqp://"),
        Expected(url: "amqp://localhost"),
        Expected(url: "amqp://localhost/"),
        Expected(url: "amqp://guest:guest@localhost:5672/%2F"),
        Expected(url: "amqp://guest:guest@localhost:5672/%2f"),
        Expected(url: "AMQP://Broker.Example.COM", host: "broker.example.com"),
        Expected(url: "amqp://rabbit/foo", host: "rabbit", virtualHost: "foo"),
        Expected(url: "amqp://rabbit/foo/", host: "rabbit", virtualHost: "foo"),
        Expected(url: "amqp://rabbit//", host: "rabbit", virtualHost: ""),
        Expected(url: "amqp://rabbit/a%2Fb", host: "rabbit", virtualHost: "a/b"),
        Expected(url: "amqp://rabbit/%C3%A9t%C3%A9", host: "rabbit", virtualHost: "été"),
        Expected(url: "amqp://rabbit/v%20h", host: "rabbit", virtualHost: "v h"),
        Expected(url: "amqp://rabbit/a+b", host: "rabbit", virtualHost: "a+b"),
        Expected(url: "amqp://us%40er:p%3Ass%2Fw%23%3F@rabbit:1234/vh", host: "rabbit", port: 1234, virtualHost: "vh",
                 username: "us@er", password: "p:ss/w#?"),
        Expected(url: "amqp://user:pa:ss@rabbit", host: "rabbit", username: "user", password: "pa:ss"),
        Expected(url: "amqp://us:p@ss@rabbit", host: "rabbit", username: "us", password: "p@ss"),
        Expected(url: "amqp://user@rabbit", host: "rabbit", username: "user", password: ""),
        Expected(url: "amqp://:secret@rabbit", host: "rabbit", username: "", password: "secret"),
        Expected(url: "amqp://user:@rabbit", host: "rabbit", username: "user", password: ""),
        Expected(url: "amqp://@rabbit", host: "rabbit", username: "", password: ""),
        Expected(url: "amqp://rabbit:", host: "rabbit"),
        Expected(url: "amqp://rabbit:/", host: "rabbit"),
        Expected(url: "amqp://:5673", port: 5673),
        Expected(url: "amqp://u:p@", username: "u", password: "p"),
        Expected(url: "amqp://ho%73t", host: "host"),
        Expected(url: "amqp://10.0.0.1:65535", host: "10.0.0.1", port: 65535),
        Expected(url: "amqp://[::1]", host: "::1"),
        Expected(url: "amqp://[::1]:5673/", host: "::1", port: 5673),
        Expected(url: "amqp://guest:guest@[2001:DB8::1]:1/v", host: "2001:db8::1", port: 1, virtualHost: "v"),
        Expected(url: "amqp://[fe80::1%25eth0]/", host: "fe80::1%eth0"),
        Expected(url: "amqp://[::ffff:10.0.0.1]", host: "::ffff:10.0.0.1"),
        Expected(url: "  amqp://rabbit\n", host: "rabbit"),
        Expected(url: "\tamqp://rabbit\r\n", host: "rabbit"),
        Expected(url: "amqp://rabbit?heartbeat=5", host: "rabbit"),
        Expected(url: "amqp://rabbit?", host: "rabbit"),
        Expected(url: "amqp://rabbit/?&&", host: "rabbit"),
        Expected(url: "amqps://rabbit", host: "rabbit", port: 5671, tls: true),
        Expected(url: "AMQPS://rabbit/", host: "rabbit", port: 5671, tls: true),
        Expected(url: "amqps://rabbit:5672", host: "rabbit", port: 5672, tls: true),
        Expected(url: "amqps://u:p@[::1]/%2f", host: "::1", port: 5671, username: "u", password: "p", tls: true),
    ]

    @Test("URL parts", arguments: good)
    func parts(_ expected: Expected) throws {
        let parameters = try URLParameters(expected.url).connectionParameters
        #expect(parameters.host == expected.host)
        #expect(parameters.port == expected.port)
        #expect(parameters.virtualHost == expected.virtualHost)
        let credentials = try #require(parameters.credentials as? PlainCredentials)
        #expect(credentials.username == expected.username)
        #expect(credentials.password == expected.password)
        #expect((parameters.sslOptions != nil) == expected.tls)
        if expected.tls {
            #expect(parameters.sslOptions == SSLOptions())
            #expect(parameters.sslOptions?.certificateVerification == .fullVerification)
        }
    }

    /// Everything but the URL's parts keeps ConnectionParameters' defaults.
    @Test func otherParametersKeepTheirDefaults() throws {
        let parameters = try URLParameters("amqp://u:p@rabbit:1/v").connectionParameters
        let defaults = ConnectionParameters()
        #expect(parameters.channelMax == defaults.channelMax)
        #expect(parameters.frameMax == defaults.frameMax)
        #expect(parameters.heartbeat == nil)
        #expect(parameters.connectionAttempts == 1)
        #expect(parameters.retryDelay == 2.0)
        #expect(parameters.socketTimeout == 10.0)
        #expect(parameters.stackTimeout == 15.0)
        #expect(parameters.locale == "en_US")
        #expect(parameters.blockedConnectionTimeout == nil)
        #expect(parameters.clientProperties == nil)
        #expect(parameters.tcpOptions == nil)
    }

    /// The parsed parameters can be changed afterwards.
    @Test func connectionParametersAreSettable() throws {
        var url = try URLParameters("amqp://rabbit")
        url.connectionParameters.heartbeat = 30
        #expect(url.connectionParameters.heartbeat == 30)
    }

    /// A malformed URL and the key (or part) its error names; nil for the URL as a whole.
    static let malformed: [(url: String, key: String?)] = [
        ("", nil),
        ("   ", nil),
        ("localhost", nil),
        ("localhost:5672", nil),
        ("amqp:/rabbit", nil),
        ("http://rabbit", nil),
        ("amqpx://rabbit", nil),
        ("://rabbit", nil),
        ("amqp://rabbit/#fragment", nil),
        ("amqp://rabbit#", nil),
        ("amqp://rab bit", nil),
        ("amqp://rabbit/\u{7F}", nil),
        ("amqp://rabbit/\u{01}", nil),
        ("amqp://user:pa/ss@rabbit", nil),
        ("amqp://user:pa?ss@rabbit", nil),
        ("amqp://user:pa#ss@rabbit", nil),
        ("amqp://rabbit/vh@x", nil),
        ("amqp://rabbit?=5", nil),
        ("amqp://[::1", "host"),
        ("amqp://[]", "host"),
        ("amqp://[xyz]", "host"),
        ("amqp://[127.0.0.1]", "host"),
        ("amqp://[::1]x", "host"),
        ("amqp://[::1]:x", "port"),
        ("amqp://[fe80::1%25]", "host"),
        ("amqp://[fe80::1%25e%20th]", "host"),
        ("amqp://[fe80::1%eth0]", "host"),
        ("amqp://ra[bbit", "host"),
        ("amqp://ra%2Fbbit", "host"),
        ("amqp://ra%zzbbit", "host"),
        ("amqp://ra%3Abbit", "host"),
        ("amqp://ra%20bbit", "host"),
        ("amqp://ra%00bbit", "host"),
        ("amqp://ra%25bbit", "host"),
        ("amqp://rabbit:99999", "port"),
        ("amqp://rabbit:65536", "port"),
        ("amqp://rabbit:0", "port"),
        ("amqp://rabbit:000000005672", "port"),
        ("amqp://rabbit:abc", "port"),
        ("amqp://rabbit:-1", "port"),
        ("amqp://rabbit:+1", "port"),
        ("amqp://a:b:c/", "port"),
        ("amqp://rabbit/a/b", "virtual_host"),
        ("amqp://rabbit//b", "virtual_host"),
        ("amqp://rabbit/%zz", "virtual_host"),
        ("amqp://rabbit/%2", "virtual_host"),
        ("amqp://rabbit/%", "virtual_host"),
        ("amqp://rabbit/%ff", "virtual_host"),
        ("amqp://rabbit/%C3", "virtual_host"),
        ("amqp://rabbit/" + String(repeating: "v", count: 256), "virtual_host"),
        ("amqp://us%zz:pw@rabbit", "username"),
        ("amqp://us%ff:pw@rabbit", "username"),
        ("amqp://us:pw%zz@rabbit", "password"),
        ("amqp://us:pw%@rabbit", "password"),
        ("amqp://us:pw%fe@rabbit", "password"),
        ("amqp://rabbit?heartbeat", "heartbeat"),
        ("amqp://rabbit?heartbeat=1&heartbeat=1", "heartbeat"),
        ("amqp://rabbit?nonsense=1", "nonsense"),
        ("amqp://rabbit?heartbeat_interval=5", "heartbeat_interval"),
        ("amqp://rabbit?Heartbeat=5", "Heartbeat"),
        ("amqp://rabbit?%zz=5", "query"),
    ]

    @Test("Malformed URLs", arguments: malformed)
    func malformedURL(_ url: String, key: String?) throws {
        let error = try #require(urlError(url))
        #expect(error.key == key)
    }

    @Test func errorDescriptionNamesTheKey() throws {
        let unknown = try #require(urlError("amqp://rabbit?nonsense=1"))
        #expect(unknown.key == "nonsense")
        #expect(unknown.description.hasPrefix("URLParametersError: nonsense: unknown URL parameter"))
        #expect(unknown.description.contains("heartbeat"))
        let scheme = try #require(urlError("ftp://rabbit"))
        #expect(scheme.key == nil)
        #expect(scheme.description == "URLParametersError: unsupported URL scheme; supported schemes: amqp, amqps")
    }

    @Test func description() throws {
        let url = try URLParameters("amqps://bob:pw@rabbit/v")
        #expect(
            url.description
                == #"URLParameters(ConnectionParameters(host: "rabbit", port: 5671, virtualHost: "v", tls: true, "#
                + #"credentials: PlainCredentials(username: "bob", password: <redacted>)))"#)
    }
}
