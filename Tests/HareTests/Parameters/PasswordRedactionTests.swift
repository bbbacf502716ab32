import AMQPProtocol
import Testing

@testable import Hare

/// No description, reflection, dump or error shows a password, whatever the URL.
@Suite("Password redaction")
struct PasswordRedactionTests {
    static let password = "S3cr3tPw"

    /// Text that must not appear: the password, its halves, its percent-encoded form.
    static let forbidden = ["S3cr3tPw", "S3cr", "3tPw", "S3cr3", "cr3tP"]

    func expectNoPassword(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for fragment in Self.forbidden {
            #expect(!text.contains(fragment), "\(fragment) in \(text)", sourceLocation: sourceLocation)
        }
    }

    /// URLs that fail, with the password (or a part of it) in every position a broken URL can put it.
    static let failingURLs = [
        "amqp://user:S3cr3tPw@rabbit:badport/",
        "amqp://user:S3cr3tPw@rabbit:99999/",
        "amqp://user:S3cr3tPw@rabbit/a/b",
        "amqp://user:S3cr3tPw@rabbit/%zz",
        "amqp://user:S3cr3tPw@rabbit/?nonsense=1",
        "amqp://user:S3cr3tPw@rabbit/?heartbeat=x",
        "amqp://user:S3cr3tPw@rabbit/?heartbeat=1&heartbeat=2",
        "amqp://user:S3cr3tPw@rabbit/?client_properties={",
        "amqp://user:S3cr3tPw@[::1/",
        "amqp://user:S3cr3tPw@ra[bbit/",
        "amqp://user:S3cr3tPw%zz@rabbit/",
        "amqp://user:S3cr3tPw%ff@rabbit/",
        "amqp://user:S3cr3tPw@rabbit/#frag",
        "amqp://user:S3cr3tPw @rabbit/",
        "ftp://user:S3cr3tPw@rabbit/",
        "amqp:/user:S3cr3tPw@rabbit/",
        // Unencoded '/', '?', '#' in the password: the rest of it would land in the path, query or fragment.
        "amqp://user:S3cr/3tPw@rabbit/",
        "amqp://user:S3cr?3tPw@rabbit/",
        "amqp://user:S3cr?3tPw=1@rabbit/",
        "amqp://user:S3cr?3tPw@rabbit/?heartbeat=1",
        "amqp://user:S3cr#3tPw@rabbit/",
        "amqp://user:S3cr/3tPw&heartbeat=x@rabbit/",
        // The same after digits that pass for a port: the rest would be a virtual host or a query key.
        "amqp://user:1234/S3cr3tPw@rabbit/",
        "amqp://user:1234?S3cr3tPw@rabbit/",
        "amqp://user:1234?S3cr3tPw=1@rabbit/",
        "amqp://user:1234#S3cr3tPw@rabbit/",
        // A combining mark after a delimiter joins it into one character with what follows.
        "amqp://user:\u{301}S3cr3tPw@rabbit",
        "amqp://user:1234/S3cr3tPw@\u{301}rabbit",
        "amqp://user:S3cr3tPw@rabbit/vh?heartbeat=\u{301}5",
        // No host: the password is taken as the port.
        "amqp://user:S3cr3tPw",
        "amqp://user:S3cr3tPw/",
        "amqp://S3cr3tPw:S3cr3tPw",
    ]

    @Test("Errors never show the password", arguments: failingURLs)
    func errorHasNoPassword(_ url: String) throws {
        let error = try #require(urlError(url))
        expectNoPassword(error.description)
        expectNoPassword(String(reflecting: error))
        expectNoPassword(dumped(error))
        expectNoPassword(error.key ?? "")
    }

    /// A port made of the password's digits is not echoed either.
    @Test func numericPasswordAsPort() throws {
        let error = try #require(urlError("amqp://user:987654321"))
        #expect(error.key == "port")
        #expect(!error.description.contains("987654321"))
    }

    @Test func parsedParametersHideThePassword() throws {
        let url = try URLParameters("amqps://user:S3cr3tPw@rabbit/vh?heartbeat=5")
        let parameters = url.connectionParameters
        #expect((parameters.credentials as? PlainCredentials)?.password == Self.password)
        for text in [
            url.description, String(reflecting: url), dumped(url), "\(url)",
            parameters.description, String(reflecting: parameters), dumped(parameters),
            parameters.credentials.description, String(reflecting: parameters.credentials), dumped(parameters.credentials),
        ] {
            expectNoPassword(text)
            #expect(text.contains("user"))
        }
    }

    @Test func credentialsHideThePassword() {
        let credentials = PlainCredentials(username: "bob", password: Self.password)
        #expect(credentials.description == #"PlainCredentials(username: "bob", password: <redacted>)"#)
        #expect(String(reflecting: credentials) == credentials.description)
        #expect(String(describing: credentials) == credentials.description)
        expectNoPassword(dumped(credentials))
        expectNoPassword(dumped([credentials]))
        expectNoPassword(dumped(Optional(credentials)))
        let children = Mirror(reflecting: credentials).children.map { "\($0.label ?? ""): \($0.value)" }
        #expect(children == ["username: bob", "password: <redacted>"])
        let boxed: any AMQPCredentials = credentials
        expectNoPassword("\(boxed)")
        expectNoPassword(String(reflecting: boxed))
    }

    /// A password with characters JSON and URLs escape, percent-encoded correctly, parses and stays hidden.
    @Test func encodedSpecialPassword() throws {
        let url = try URLParameters("amqp://user:S3cr%2F%3F%23%40%253tPw@rabbit/")
        let credentials = try #require(url.connectionParameters.credentials as? PlainCredentials)
        #expect(credentials.password == "S3cr/?#@%3tPw")
        expectNoPassword(dumped(url))
        expectNoPassword(url.description)
    }

    @Test("A URL with its password redacted keeps everything else", arguments: [
        ("amqp://user:S3cr3tPw@rabbit/vh?heartbeat=5", "amqp://user:<redacted>@rabbit/vh?heartbeat=5"),
        ("amqps://us%3Aer:S3cr%2F%3F%23%40%253tPw@[::1]:5671/%2f", "amqps://us%3Aer:<redacted>@[::1]:5671/%2f"),
        ("amqp://user:@rabbit", "amqp://user:<redacted>@rabbit"),
        ("amqp://user@rabbit/", "amqp://user@rabbit/"),
        ("amqp://rabbit:5672/?heartbeat=5", "amqp://rabbit:5672/?heartbeat=5"),
    ])
    func redactedURL(_ url: String, _ expected: String) {
        #expect(URLParameters.redactingPassword(in: url) == expected)
    }

    /// A combining mark inside a password (after a letter, not a delimiter) is part of it.
    @Test func combiningMarkInsideThePassword() throws {
        let url = "amqp://user:S3cr\u{301}3tPw@rabbit/"
        let credentials = try #require(try URLParameters(url).connectionParameters.credentials as? PlainCredentials)
        #expect(credentials.username == "user" && credentials.password == "S3cr\u{301}3tPw")
        #expect(URLParameters.redactingPassword(in: url) == "amqp://user:<redacted>@rabbit/")
    }

    @Test("A URL that URLParameters refuses still shows no password", arguments: failingURLs)
    func redactedBrokenURL(_ url: String) {
        expectNoPassword(URLParameters.redactingPassword(in: url))
    }

    @Test func validationErrorsHideThePassword() throws {
        var parameters = ConnectionParameters(credentials: PlainCredentials(username: "u", password: Self.password))
        parameters.frameMax = 1
        let error = try #require(validationError(parameters))
        expectNoPassword(error.description)
    }
}
