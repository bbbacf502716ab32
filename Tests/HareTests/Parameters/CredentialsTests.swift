import Testing

@testable import Hare

/// PLAIN and EXTERNAL: mechanism names and SASL responses.
@Suite("Credentials")
struct CredentialsTests {
    @Test func plainResponse() {
        let credentials = PlainCredentials(username: "guest", password: "guest")
        #expect(credentials.mechanism == "PLAIN")
        #expect(credentials.initialResponse() == [0] + Array("guest".utf8) + [0] + Array("guest".utf8))
    }

    @Test func plainResponseIsUTF8() {
        let credentials = PlainCredentials(username: "é", password: "密")
        #expect(credentials.initialResponse() == [0, 0xC3, 0xA9, 0, 0xE5, 0xAF, 0x86])
    }

    @Test func plainResponseWithEmptyParts() {
        #expect(PlainCredentials(username: "", password: "").initialResponse() == [0, 0])
    }

    @Test func external() {
        let credentials = ExternalCredentials()
        #expect(credentials.mechanism == "EXTERNAL")
        #expect(credentials.initialResponse().isEmpty)
        #expect(credentials.description == "ExternalCredentials()")
    }

    @Test func plainEquality() {
        #expect(PlainCredentials(username: "a", password: "b") == PlainCredentials(username: "a", password: "b"))
        #expect(PlainCredentials(username: "a", password: "b") != PlainCredentials(username: "a", password: "c"))
    }
}
