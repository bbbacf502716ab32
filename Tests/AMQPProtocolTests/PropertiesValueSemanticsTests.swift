import AMQPProtocol
import NIOCore
import Testing

/// `BasicProperties` keeps its values in shared copy-on-write storage: these check that it still
/// behaves as a plain value type.
@Suite("Properties value semantics")
struct PropertiesValueSemanticsTests {
    @Test("changing a copy leaves the original as it was")
    func copyIsIndependent() {
        let original = AMQP.BasicProperties(contentType: "text/plain", deliveryMode: 2)
        var copy = original
        copy.contentType = "application/json"
        copy.headers = ["k": .string("v")]
        #expect(original.contentType == "text/plain")
        #expect(original.headers == nil)
        #expect(copy.contentType == "application/json")
        #expect(copy.deliveryMode == 2)
        #expect(original != copy)
    }

    @Test("a change made through a property (a header set in place) changes only this value")
    func nestedChange() {
        let original = AMQP.BasicProperties(headers: ["a": .string("1")])
        var copy = original
        copy.headers?["b"] = .string("2")
        copy.deliveryMode? += 1
        #expect(original.headers?["b"] == nil)
        #expect(copy.headers?["b"] == .string("2"))
        #expect(copy.headers?["a"] == .string("1"))
        #expect(copy.deliveryMode == nil && original.deliveryMode == nil)
        var alone = AMQP.BasicProperties(priority: 1)
        alone.priority? += 1
        #expect(alone.priority == 2)
    }

    @Test("properties with nothing set are equal and independent however they were made")
    func emptyProperties() throws {
        var first = AMQP.BasicProperties()
        let second = AMQP.BasicProperties(contentType: nil)
        var wire = ByteBufferAllocator().buffer(capacity: 16)
        wire.writeInteger(UInt16(0))
        let third = try wire.readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in
            try AMQP.BasicProperties(from: &reader)
        }
        #expect(first == second && second == third)
        first.priority = 5
        #expect(first.priority == 5)
        #expect(second.priority == nil && third.priority == nil)
        #expect(AMQP.BasicProperties().priority == nil)
    }

    @Test("properties emptied again equal, hash and encode like properties never set")
    func emptiedProperties() throws {
        var emptied = AMQP.BasicProperties(messageId: "m")
        emptied.messageId = nil
        let never = AMQP.BasicProperties()
        #expect(emptied == never && never == emptied)
        #expect(emptied.hashValue == never.hashValue)
        for properties in [emptied, never] {
            #expect(try properties.encodedSize() == 2)
            var bytes = ByteBufferAllocator().buffer(capacity: 8)
            bytes.writeAMQP(size: 2) { writer in properties.encode(to: &writer) }
            #expect(bytes.readableBytesView.elementsEqual([0, 0]))
        }
        var changed = never
        changed.headers = ["a": .int32(1)]
        changed.headers?["b"] = .boolean(true)
        #expect(changed.headers?["a"] == .int32(1) && changed.headers?["b"] == .boolean(true))
        #expect(never.headers == nil && never == AMQP.BasicProperties())
    }

    @Test("equal values hash alike, whatever storage they share")
    func hashing() {
        let made = AMQP.BasicProperties(contentType: "a", correlationId: "c", timestamp: AMQPTimestamp(secondsSince1970: 7))
        var built = AMQP.BasicProperties()
        built.contentType = "a"
        built.correlationId = "c"
        built.timestamp = AMQPTimestamp(secondsSince1970: 7)
        #expect(made == built)
        #expect(made.hashValue == built.hashValue)
        #expect(Set([made, built]).count == 1)
        built.correlationId = "d"
        #expect(made != built)
    }

    @Test("a value changed on one thread while copies are read on others stays consistent")
    func concurrentCopies() async {
        let shared = AMQP.BasicProperties(contentType: "x", messageId: "m")
        await withTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask {
                    var mine = shared
                    for step in 0..<1_000 { mine.messageId = "\(index)-\(step)" }
                    return mine.messageId == "\(index)-999" && mine.contentType == "x" && shared.messageId == "m"
                }
            }
            for await ok in group { #expect(ok) }
        }
    }
}
