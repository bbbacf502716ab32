import AMQPProtocol
import Testing

@testable import Hare

/// Reading the broker's capabilities from its server properties.
@Suite("Blocking: server capabilities")
struct BlockingCapabilityTests {
    @Test("a capability is true only when the capabilities table holds it as boolean true")
    func capabilities() {
        let properties: FieldTable = [
            "product": .string("RabbitMQ"),
            "capabilities": .table([
                "publisher_confirms": .boolean(true),
                "basic.nack": .boolean(false),
                "consumer_cancel_notify": .string("true"),
            ]),
        ]
        #expect(BlockingConnection.capability("publisher_confirms", in: properties))
        #expect(!BlockingConnection.capability("basic.nack", in: properties))
        #expect(!BlockingConnection.capability("consumer_cancel_notify", in: properties), "a string is not a boolean")
        #expect(!BlockingConnection.capability("exchange_exchange_bindings", in: properties))
        #expect(!BlockingConnection.capability("publisher_confirms", in: [:]))
        #expect(!BlockingConnection.capability("publisher_confirms", in: ["capabilities": .boolean(true)]))
    }
}
