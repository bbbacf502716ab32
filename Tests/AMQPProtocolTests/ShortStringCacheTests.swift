@testable import AMQPProtocol
import NIOCore
import Testing

/// The string cache's table of short strings (1 to 15 bytes: routing keys, exchange and queue
/// names): a string decoded again comes from the table, and the table never changes what is
/// decoded.
@Suite("String cache: short strings")
struct ShortStringCacheTests {
    /// A basic.deliver frame with `routingKey`, followed by `padding` zero bytes (the parser
    /// reads one frame; the table is used only where 16 bytes follow a string's start).
    static func deliverFrame(routingKey: String, exchange: String = "", padding: Int = 16) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 128)
        let deliver = AMQP.Basic.Deliver(consumerTag: "c", deliveryTag: 7, redelivered: true, exchange: exchange, routingKey: routingKey)
        try buffer.writeAMQPMethodFrame(channel: 1, method: deliver)
        buffer.writeRepeatingByte(0, count: padding)
        return buffer
    }

    static func decoded(_ frame: AMQPFrame?) -> AMQP.Basic.Deliver? {
        guard case .method(_, .basicDeliver(let deliver))? = frame else { return nil }
        return deliver
    }

    /// The table's key for `text` (1 to 15 bytes).
    static func key(_ text: String) -> AMQPStringCache.ShortKey {
        let bytes = Array(text.utf8) + [UInt8](repeating: 0xAB, count: 16)
        return bytes.withUnsafeBytes { AMQPStringCache.ShortKey($0, at: 0, count: text.utf8.count) }
    }

    @Test("a routing key the table holds is handed out from it")
    func handedOutFromTheTable() throws {
        let parser = AMQPFrameParser(maxFrameSize: 4096)
        let cache = AMQPStringCache()
        // A planted entry shows that the table is looked up: a real one holds the same bytes.
        cache.rememberShort("planted", key: Self.key("orders"))
        var frame = try Self.deliverFrame(routingKey: "orders", exchange: "events")
        let deliver = try #require(Self.decoded(try parser.parse(&frame, sharingStrings: cache)))
        #expect(deliver.routingKey == "planted")
        #expect(deliver.exchange == "events" && deliver.deliveryTag == 7 && deliver.redelivered)
        var plain = try Self.deliverFrame(routingKey: "orders")
        #expect(Self.decoded(try parser.parse(&plain))?.routingKey == "orders", "without a cache")
        // The exchange decoded above was remembered.
        #expect(cache.shortString(matching: Self.key("events")) == "events")
        #expect(cache.shortString(matching: Self.key("event")) == nil)
    }

    @Test("the key holds every byte and the length: strings one byte apart have different keys")
    func keysTellStringsApart() {
        let texts = ["a", "a\0", "b", "abcdefgh", "abcdefgi", "abcdefgh\0", "abcdefghi", "abcdefghijklmno", "abcdefghijklmnp",
                     "\0", "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", "é", "e\u{301}"]
        let keys = texts.map(Self.key)
        for (index, key) in keys.enumerated() {
            for (other, otherKey) in keys.enumerated() where other != index {
                #expect(key != otherKey, "'\(texts[index])' and '\(texts[other])'")
            }
        }
        // The bytes past the string do not count.
        let noisy = (Array("abc".utf8) + [UInt8](repeating: 0xFF, count: 16)).withUnsafeBytes {
            AMQPStringCache.ShortKey($0, at: 0, count: 3)
        }
        #expect(noisy == Self.key("abc"))
    }

    @Test("thousands of short strings, repeated and colliding in a 16-slot table, decode as sent")
    func decodesAsSent() throws {
        let parser = AMQPFrameParser(maxFrameSize: 4096)
        let cache = AMQPStringCache()
        var random = SplitMix64(seed: 0x5EED_CAFE)
        let alphabet = Array("abc.-_xyz\0é€\u{301}".unicodeScalars).map(String.init)
        var pool: [String] = []
        while pool.count < 200 {
            var text = ""
            let length = Int(random.next() % 15) + 1
            while text.utf8.count < length { text += alphabet[Int(random.next() % UInt64(alphabet.count))] }
            if text.utf8.count <= 15 { pool.append(text) }
        }
        for round in 0..<3000 {
            let routingKey = pool[Int(random.next() % UInt64(round < 1000 ? 8 : pool.count))]
            let exchange = pool[Int(random.next() % UInt64(pool.count))]
            var frame = try Self.deliverFrame(routingKey: routingKey, exchange: exchange, padding: Int(random.next() % 20))
            let deliver = try #require(Self.decoded(try parser.parse(&frame, sharingStrings: cache)))
            // Byte by byte: `==` would equate canonically equivalent strings.
            let same = Array(deliver.routingKey.utf8) == Array(routingKey.utf8) && Array(deliver.exchange.utf8) == Array(exchange.utf8)
            #expect(same, "round \(round): \(deliver.routingKey) / \(deliver.exchange)")
            if !same { return }
        }
    }

    @Test("a length past the frame is truncated, even when the bytes after it are a remembered string")
    func truncatedNeverMatches() throws {
        let parser = AMQPFrameParser(maxFrameSize: 4096)
        let cache = AMQPStringCache()
        var frame = try Self.deliverFrame(routingKey: "abcde", padding: 0)
        frame.writeBytes(Array("0123456789ABCDEF".utf8))
        // The routing key's length octet sits before its 5 bytes and the frame-end octet.
        let lengthAt = frame.readerIndex + frame.readableBytes - 16 - 1 - 5 - 1
        #expect(frame.getInteger(at: lengthAt, as: UInt8.self) == 5)
        frame.setInteger(UInt8(10), at: lengthAt)
        // What a 10-byte key would be read from: the 5 bytes, the frame end, "0123".
        let past = try #require(frame.getBytes(at: lengthAt + 1, length: 22))
        let key = past.withUnsafeBytes { AMQPStringCache.ShortKey($0, at: 0, count: 10) }
        cache.rememberShort("planted", key: key)
        #expect(throws: AMQPProtocolError.self) { _ = try parser.parse(&frame, sharingStrings: cache) }
        do {
            _ = try parser.parse(&frame, sharingStrings: cache)
            Issue.record("a routing key past its frame was decoded")
        } catch {
            #expect(error.kind == .truncated(needed: 10, available: 5), "\(error)")
        }
    }

    @Test("the table is used when 16 bytes follow the string's start in the read, and not with 15")
    func sixteenBytesOrNone() throws {
        let parser = AMQPFrameParser(maxFrameSize: 4096)
        let cache = AMQPStringCache()
        cache.rememberShort("planted", key: Self.key("rk"))
        // After "rk": the frame-end octet and the padding; 16 bytes from "r" on with 13 of it.
        var enough = try Self.deliverFrame(routingKey: "rk", padding: 13)
        #expect(Self.decoded(try parser.parse(&enough, sharingStrings: cache))?.routingKey == "planted")
        var short = try Self.deliverFrame(routingKey: "rk", padding: 12)
        #expect(Self.decoded(try parser.parse(&short, sharingStrings: cache))?.routingKey == "rk", "built, not looked up")
    }

    @Test("invalid UTF-8 in a short string is refused every time, and never remembered")
    func invalidNeverRemembered() throws {
        let parser = AMQPFrameParser(maxFrameSize: 4096)
        let cache = AMQPStringCache()
        var frame = try Self.deliverFrame(routingKey: "queue")
        // The routing key's first byte: after the frame header (7), the ids (4), the tag ("c": 2),
        // the delivery tag (8), the bits (1), the empty exchange (1) and the length octet (1).
        let first = frame.readerIndex + 7 + 4 + 2 + 8 + 1 + 1 + 1
        #expect(frame.getInteger(at: first, as: UInt8.self) == UInt8(ascii: "q"))
        frame.setInteger(UInt8(0xC3), at: first + 4)  // a lead byte with no continuation
        for _ in 0..<2 {
            var copy = frame
            #expect(throws: AMQPProtocolError.self) { _ = try parser.parse(&copy, sharingStrings: cache) }
        }
        let bytes = try #require(frame.getBytes(at: first, length: 21))
        let key = bytes.withUnsafeBytes { AMQPStringCache.ShortKey($0, at: 0, count: 5) }
        #expect(cache.shortString(matching: key) == nil)
    }
}
