import AMQPProtocol
import NIOCore
import Testing

/// `AMQPFrameParser.parse(_:sharingStrings:)`: long short-strings decoded again come from the
/// cache, and the cache never changes what is decoded.
@Suite("String cache")
struct StringCacheTests {
    static let tag = "amq.ctag-hzMV1oS8zYBn3BZc4ZxA9Q"

    static func deliverFrame(consumerTag: String, routingKey: String) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 128)
        let deliver = AMQP.Basic.Deliver(consumerTag: consumerTag, deliveryTag: 1, redelivered: false, exchange: "", routingKey: routingKey)
        try buffer.writeAMQPMethodFrame(channel: 1, method: deliver)
        return buffer
    }

    static func decodedTag(_ frame: AMQPFrame?) -> String? {
        guard case .method(_, .basicDeliver(let deliver))? = frame else { return nil }
        return deliver.consumerTag
    }

    @Test("a repeated consumer tag is the same string storage, and equal to what was sent")
    func repeatedTagIsShared() throws {
        let parser = AMQPFrameParser(maxFrameSize: 4096)
        let cache = AMQPStringCache()
        var first = try Self.deliverFrame(consumerTag: Self.tag, routingKey: "a-routing-key-over-16")
        var second = try Self.deliverFrame(consumerTag: Self.tag, routingKey: "a-routing-key-over-16")
        var one = try #require(Self.decodedTag(try parser.parse(&first, sharingStrings: cache)))
        var two = try #require(Self.decodedTag(try parser.parse(&second, sharingStrings: cache)))
        #expect(one == Self.tag && two == Self.tag)
        let firstStorage = one.withUTF8 { $0.baseAddress }
        let secondStorage = two.withUTF8 { $0.baseAddress }
        #expect(firstStorage == secondStorage)
    }

    @Test("strings that differ in one byte, or in length, are never confused")
    func differentStringsStayDifferent() throws {
        let parser = AMQPFrameParser(maxFrameSize: 4096)
        let cache = AMQPStringCache(capacity: 2)
        var tags = [Self.tag, String(Self.tag.dropLast()) + "R", Self.tag + "x", "amq.ctag-short-but-16"]
        tags += tags.reversed()
        for tag in tags {
            var frame = try Self.deliverFrame(consumerTag: tag, routingKey: "k")
            #expect(Self.decodedTag(try parser.parse(&frame, sharingStrings: cache)) == tag)
        }
    }

    @Test("a full cache of one, and strings of every length up to 255 bytes, decode as sent")
    func replacementAndLongestStrings() throws {
        let parser = AMQPFrameParser(maxFrameSize: 4096)
        let cache = AMQPStringCache(capacity: 1)
        let tags = [16, 17, 100, 254, 255, 255, 17].enumerated().map { index, length in
            String((0..<length).map { Character(UnicodeScalar(UInt8(ascii: "a") + UInt8((index + $0) % 26))) })
        }
        for tag in tags + tags.reversed() {
            var frame = try Self.deliverFrame(consumerTag: tag, routingKey: "k")
            #expect(Self.decodedTag(try parser.parse(&frame, sharingStrings: cache)) == tag)
        }
        var twice = try Self.deliverFrame(consumerTag: tags[4], routingKey: "k")
        twice.writeImmutableBuffer(twice)
        let one = try #require(Self.decodedTag(try parser.parse(&twice, sharingStrings: cache)))
        let two = try #require(Self.decodedTag(try parser.parse(&twice, sharingStrings: cache)))
        #expect(Self.storage(one) == Self.storage(two))
    }

    static func storage(_ string: String) -> UnsafePointer<UInt8>? {
        var string = string
        return string.withUTF8 { $0.baseAddress }
    }

    @Test("the string hit on every delivery is never the one forgotten", arguments: [2, 3, 4, 8])
    func hitsStayRemembered(capacity: Int) throws {
        let parser = AMQPFrameParser(maxFrameSize: 4096)
        let cache = AMQPStringCache(capacity: capacity)
        func decode(_ tag: String) throws -> String {
            var frame = try Self.deliverFrame(consumerTag: tag, routingKey: "k")
            return try #require(Self.decodedTag(try parser.parse(&frame, sharingStrings: cache)))
        }
        let first = try decode(Self.tag)
        // Up to `capacity - 2` (at least 1) new strings between two hits, in uneven runs.
        let longestGap = max(1, capacity - 2)
        var other = 1000
        // Each gap, then the longest: the hot string is hit where the gap left it, and must
        // still be there after the longest run of new strings.
        for gap in (1...longestGap).flatMap({ [$0, longestGap] }) {
            for _ in 0..<gap {
                _ = try decode("amq.ctag-another-one-\(other)")
                other += 1
            }
            #expect(Self.storage(try decode(Self.tag)) == Self.storage(first), "after \(gap) new strings")
        }
        // A string not hit since is forgotten once `capacity` others came after it.
        let old = try decode("amq.ctag-another-one-1000")
        for other in 0..<capacity { _ = try decode("amq.ctag-yet-another-\(1000 + other)") }
        #expect(Self.storage(try decode("amq.ctag-another-one-1000")) != Self.storage(old))
    }

    @Test("property strings (message ids) are not remembered: they are new on every message")
    func propertiesAreNotCached() throws {
        let parser = AMQPFrameParser(maxFrameSize: 4096)
        let cache = AMQPStringCache()
        let properties = AMQP.BasicProperties(messageId: "message-0123456789abcdef")
        var ids: [String] = []
        for _ in 0..<2 {
            var frames = ByteBufferAllocator().buffer(capacity: 128)
            try frames.writeAMQPContent(channel: 1, properties: properties, body: ByteBuffer(string: "x"), frameMax: 4096)
            guard case .header(_, let header)? = try parser.parse(&frames, sharingStrings: cache) else {
                Issue.record("no header frame")
                return
            }
            ids.append(try #require(header.properties.messageId))
        }
        #expect(ids == [properties.messageId, properties.messageId])
        #expect(Self.storage(ids[0]) != Self.storage(ids[1]))
    }

    @Test("invalid UTF-8 is refused with a cache as without one")
    func invalidUTF8() throws {
        let parser = AMQPFrameParser(maxFrameSize: 4096)
        var frame = try Self.deliverFrame(consumerTag: String(repeating: "t", count: 20), routingKey: "k")
        // The tag starts after the 7-byte frame header, the class and method ids and the length octet.
        frame.setInteger(UInt8(0xFF), at: frame.readerIndex + 7 + 4 + 1 + 3)
        var copy = frame
        #expect(throws: AMQPProtocolError.self) { _ = try parser.parse(&frame, sharingStrings: AMQPStringCache()) }
        #expect(throws: AMQPProtocolError.self) { _ = try parser.parse(&copy) }
    }
}
