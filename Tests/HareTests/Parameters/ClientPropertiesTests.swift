import AMQPProtocol
import Testing

@testable import Hare

/// The client properties sent in start-ok, and how the user's table merges into them.
@Suite("Client properties")
struct ClientPropertiesTests {
    @Test func defaults() throws {
        let properties = ClientProperties.make(user: nil)
        #expect(properties.map(\.key) == ["product", "platform", "capabilities", "information", "version"])
        #expect(properties["product"] == .string("Hare"))
        #expect(properties["version"] == .string(HareVersion.string))
        #expect(properties["information"] == .string("See https://github.com/hare-amqp/hare"))
        guard case .string(let platform)? = properties["platform"] else {
            Issue.record("no platform")
            return
        }
        #expect(platform.hasPrefix("Swift 6."))
        #if os(Linux)
        #expect(platform.contains(" on Linux ("))
        #endif
        guard case .table(let capabilities)? = properties["capabilities"] else {
            Issue.record("no capabilities")
            return
        }
        #expect(
            capabilities.map(\.key) == [
                "publisher_confirms", "exchange_exchange_bindings", "basic.nack", "consumer_cancel_notify", "connection.blocked",
                "authentication_failure_close", "per_consumer_qos",
            ])
        #expect(capabilities.allSatisfy { $0.value == .boolean(true) })
    }

    @Test func libraryVersion() {
        #expect(ClientProperties.make(user: nil, library: "9.9.9")["version"] == .string("9.9.9"))
    }

    @Test func userEntriesReplaceAndExtend() {
        let properties = ClientProperties.make(user: ["connection_name": "worker-1", "product": "MyApp", "extra": .int64(1)])
        #expect(properties.map(\.key) == ["product", "platform", "capabilities", "information", "version", "connection_name", "extra"])
        #expect(properties["product"] == .string("MyApp"))
        #expect(properties["connection_name"] == .string("worker-1"))
        #expect(properties["extra"] == .int64(1))
        #expect(properties["capabilities"] == .table(ClientProperties.capabilities))
    }

    /// Like Pika's dict.update: a user capabilities table replaces Hare's whole.
    @Test func userCapabilitiesReplaceTheWholeTable() {
        let properties = ClientProperties.make(user: ["capabilities": .table(["basic.nack": false])])
        #expect(properties["capabilities"] == .table(["basic.nack": .boolean(false)]))
    }

    @Test func emptyUserTableChangesNothing() {
        #expect(ClientProperties.make(user: [:]) == ClientProperties.make(user: nil))
    }

    @Test func version() {
        #expect(HareVersion.string == "0.1.0")
    }
}
