import AMQPProtocol
import NIOCore
import Testing

/// Properties decoded from a content header keep the header's bytes and read each property from
/// them when asked: these check that such a value is indistinguishable from one built in Swift,
/// and that everything wrong with the bytes is found when they arrive, not when read.
@Suite("Decoded properties")
struct DecodedPropertiesTests {
    /// Every property set, the headers in an order a dictionary would not keep.
    let full = AMQP.BasicProperties(
        contentType: "application/vnd.hare.test+json",
        contentEncoding: "gzip",
        headers: ["z-last": .string("1"), "a-first": .int32(-7), "nested": .table(["deep": .boolean(true)])],
        deliveryMode: 2,
        priority: 9,
        correlationId: "correlation-0123456789abcdef",
        replyTo: "amq.rabbitmq.reply-to",
        expiration: "60000",
        messageId: "b5b1c7c4-2f6e-4cc3-9a4e-0d6f2d1c9e11",
        timestamp: AMQPTimestamp(secondsSince1970: 1_764_288_000),
        type: "order.created",
        userId: "guest",
        appId: "hare-tests",
        reserved: "r"
    )

    func encoded(_ properties: AMQP.BasicProperties) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try properties.encode(into: &buffer)
        return buffer
    }

    func decoded(_ bytes: [UInt8]) throws(AMQPProtocolError) -> AMQP.BasicProperties {
        var buffer = ByteBuffer(bytes: bytes)
        return try AMQP.BasicProperties(from: &buffer)
    }

    @Test("every property reads back from the bytes, and the value equals and hashes like the original")
    func readsEveryProperty() throws {
        let wire = try encoded(full)
        var input = wire
        let properties = try AMQP.BasicProperties(from: &input)
        #expect(input.readableBytes == 0)
        #expect(properties.contentType == full.contentType)
        #expect(properties.contentEncoding == full.contentEncoding)
        #expect(properties.headers == full.headers)
        #expect(properties.headers?["a-first"] == .int32(-7))
        #expect(properties.deliveryMode == 2)
        #expect(properties.priority == 9)
        #expect(properties.correlationId == full.correlationId)
        #expect(properties.replyTo == full.replyTo)
        #expect(properties.expiration == "60000")
        #expect(properties.messageId == full.messageId)
        #expect(properties.timestamp == full.timestamp)
        #expect(properties.type == "order.created")
        #expect(properties.userId == "guest")
        #expect(properties.appId == "hare-tests")
        #expect(properties.reserved == "r")
        #expect(properties == full && full == properties)
        #expect(properties.hashValue == full.hashValue)
        #expect(Set([properties, full]).count == 1)
    }

    @Test("each single property, alone or after others, reads back and nothing else is set")
    func eachPropertyAlone() throws {
        let only: [AMQP.BasicProperties] = [
            .init(contentType: "a"), .init(headers: ["k": .string("v")]), .init(deliveryMode: 1),
            .init(priority: 0), .init(timestamp: AMQPTimestamp(secondsSince1970: 0)), .init(reserved: "last"),
            .init(deliveryMode: 2, messageId: "m", appId: "x"),
        ]
        for properties in only {
            let copy = try decoded(try encoded(properties).bytes)
            #expect(copy == properties)
            #expect(copy.contentType == properties.contentType)
            #expect(copy.headers == properties.headers)
            #expect(copy.deliveryMode == properties.deliveryMode)
            #expect(copy.priority == properties.priority)
            #expect(copy.messageId == properties.messageId)
            #expect(copy.timestamp == properties.timestamp)
            #expect(copy.appId == properties.appId)
            #expect(copy.reserved == properties.reserved)
            #expect(copy.userId == nil && copy.correlationId == nil)
        }
    }

    @Test("decoded properties encode to the bytes they came from")
    func reencodesAsTheyCame() throws {
        // The flag word also sets bit 1, which no property uses: properties rebuilt from Swift
        // values would send 0x2008; the bytes as they came keep it.
        let bytes = be16(0x2000 | 0x0008 | 0x0002) + be32(10) + [2] + ascii("zz") + [UInt8(ascii: "t"), 1]
            + [2] + ascii("aa") + [UInt8(ascii: "b"), 0xFF] + [6] + Array("héllo".utf8)
        let properties = try decoded(bytes)
        #expect(properties.appId == "héllo")
        #expect(properties.headers?["zz"] == .boolean(true))
        #expect(try properties.encodedSize() == bytes.count)
        #expect(try encoded(properties).bytes == bytes)
        var rebuilt = properties
        rebuilt.priority = nil  // a change that changes nothing turns them into Swift values
        #expect(rebuilt == properties)
        #expect(try encoded(rebuilt).bytes == be16(0x2000 | 0x0008) + bytes.dropFirst(2))
    }

    @Test("changing a decoded value changes only it, and keeps every other property")
    func changingADecodedCopy() throws {
        let original = try decoded(try encoded(full).bytes)
        var changed = original
        changed.messageId = "new"
        changed.headers?["added"] = .string("yes")
        #expect(original.messageId == full.messageId)
        #expect(original.headers?["added"] == nil)
        #expect(original == full)
        #expect(changed.messageId == "new")
        #expect(changed.headers?["added"] == .string("yes"))
        #expect(changed.contentType == full.contentType && changed.timestamp == full.timestamp)
        #expect(changed.reserved == "r" && changed.appId == "hare-tests")
        #expect(changed != original)
        var restored = changed
        restored.messageId = full.messageId
        restored.headers?["added"] = nil
        #expect(restored == original)
        #expect(restored.hashValue == original.hashValue)
    }

    @Test("a bad property is refused when the header arrives, whichever property it is")
    func refusedOnArrival() {
        let badUTF8: [UInt8] = [2, 0xC3, 0x28]
        // app-id (flag 0x0008), the thirteenth property, after two good ones.
        let lateBadString = be16(0x8000 | 0x1000 | 0x0008) + [1] + ascii("a") + [2] + badUTF8
        #expect(throws: AMQPProtocolError(.invalidUTF8)) { try decoded(lateBadString) }
        // A table whose only value has an unknown type tag.
        let badTable = be16(0x2000) + be32(4) + [1] + ascii("k") + [UInt8(ascii: "!"), 0]
        #expect(throws: AMQPProtocolError(.unknownFieldType(UInt8(ascii: "!")))) { try decoded(badTable) }
        // A key that is not UTF-8.
        let badKey = be16(0x2000) + be32(4) + badUTF8 + [UInt8(ascii: "V")]
        #expect(throws: AMQPProtocolError(.invalidUTF8)) { try decoded(badKey) }
        // The last property cut short.
        let truncated = be16(0x0080) + [10] + ascii("abc")
        #expect(throws: AMQPProtocolError(.truncated(needed: 10, available: 3))) { try decoded(truncated) }
        // A timestamp with only four bytes.
        #expect(throws: AMQPProtocolError(.truncated(needed: 8, available: 4))) { try decoded(be16(0x0040) + be32(1)) }
        // A continuation bit: a second flag word this class does not have.
        #expect(throws: AMQPProtocolError(.propertyFlagsContinuation)) { try decoded(be16(0x8001) + [1] + ascii("a")) }
    }
}
