import AMQPProtocol
import Hare
import NIOCore
import Testing
import HareTestSupport

/// Interop with Pika, a client nobody on Hare wrote: every property and every field type, both
/// ways. Pika's own rules decide the expected values (read from its field-table codec):
/// - Pika encodes str as `S`, bytes as `x`, bool as `t`, an int as `I` when it fits 32 bits and
///   `l` otherwise, Decimal as `D` (normalized), datetime as `T` (UTC seconds), dict as `F`, list
///   as `A`, None as `V`; it cannot encode a float.
/// - Pika decodes `b B s u I i l` as int, `D` as Decimal, `S` as str (bytes when not UTF-8), `x`
///   as bytes, `T` as a UTC datetime; `f` and `d` as float, except that Pika 1.x before the fix
///   truncates them to an int (both are accepted).
enum PikaInteropScenarios {
    /// A queue both clients can use (not exclusive), which expires if a failed test leaves it.
    static func declareSharedQueue(on channel: some FaceChannel) async throws -> String {
        let queue = Names.unique("hare-test-interop")
        try await channel.queueDeclare(queue, exclusive: false, arguments: ["x-expires": .int32(120_000)])
        return queue
    }

    // MARK: Pika -> Hare

    /// What `pika-peer.py publish` sends, as Hare must decode it.
    static func pikaHeaders() -> FieldTable {
        [
            "str": .string("hello, w\u{F6}rld"),
            "empty_str": .string(""),
            "bytes": .bytes(ByteBuffer(bytes: [0x00, 0x01, 0xFE, 0xFF])),
            "int_small": .int32(42),
            "int_negative": .int32(-42),
            "int_max32": .int32(.max),
            "int_large": .int64(1 << 40 + 5),
            "int_min64": .int64(.min),
            "bool_true": .boolean(true),
            "bool_false": .boolean(false),
            "decimal": .decimal(AMQPDecimal(scale: 2, value: 314)),
            "decimal_negative": .decimal(AMQPDecimal(scale: 3, value: -5)),
            "decimal_whole": .decimal(AMQPDecimal(scale: 0, value: 100)),
            "datetime": .timestamp(AMQPTimestamp(secondsSince1970: 1_709_210_096)),
            "table": .table(["inner": .string("value"), "number": .int32(1), "deeper": .table(["flag": .boolean(true)])]),
            "empty_table": .table([:]),
            "list": .array([
                .int32(1), .string("two"), .boolean(true), .void, .array([.int32(3), .bytes(ByteBuffer(bytes: [4]))]),
                .table(["k": .string("v")]),
            ]),
            "empty_list": .array([]),
            "none": .void,
        ]
    }

    static let pikaBody: [UInt8] = Array("pika -> hare ".utf8) + [0x00, 0x01, 0xFE, 0xFF] + Array(" caf\u{E9} \u{2603}".utf8)

    /// Pika publishes a message with every property and field type; Hare receives every value.
    static func pikaToHare<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { _, channel in
            let queue = try await declareSharedQueue(on: channel)
            try await PikaPeer.publish(queue: queue)
            let message = try await channel.awaitMessage(queue, autoAck: true)
            #expect(Array(message.body.readableBytesView) == pikaBody)
            #expect(message.routingKey == queue)

            let properties = message.properties
            #expect(properties.contentType == "application/x-hare-interop")
            #expect(properties.contentEncoding == "identity")
            #expect(properties.deliveryMode == 2)
            #expect(properties.priority == 5)
            #expect(properties.correlationId == "correlation-pika")
            #expect(properties.replyTo == "reply-queue-pika")
            #expect(properties.expiration == "60000")
            #expect(properties.messageId == "message-pika")
            #expect(properties.timestamp == AMQPTimestamp(secondsSince1970: 1_700_000_000))
            #expect(properties.type == "interop.pika-to-hare")
            #expect(properties.userId == (try Broker.username))
            #expect(properties.appId == "pika-peer")
            #expect(properties.reserved == "cluster-pika")

            let headers = try #require(properties.headers, "the headers are missing")
            let expected = pikaHeaders()
            #expect(headers.map(\.key) == expected.map(\.key), "the header keys or their order differ")
            for (key, value) in expected {
                #expect(headers[key] == value, "header '\(key)'")
            }
            #expect(headers == expected)
            try await channel.queueDelete(queue)
        }
    }

    // MARK: Hare -> Pika

    /// Every FieldValue case, as Hare sends it.
    static func hareHeaders() -> FieldTable {
        [
            "boolean": .boolean(true),
            "int8": .int8(-8),
            "uint8": .uint8(200),
            "int16": .int16(-1600),
            "uint16": .uint16(60000),
            "int32": .int32(-2_000_000_000),
            "uint32": .uint32(4_000_000_000),
            "int64": .int64(-9_000_000_000_000),
            "float": .float(1234.75),
            "double": .double(-98765.25),
            "decimal": .decimal(AMQPDecimal(scale: 3, value: -12345)),
            "string": .string("h\u{E9}llo \u{2603}"),
            "binary_string": .binaryString(ByteBuffer(bytes: [0xFF, 0xFE, 0x00])),
            "array": .array([.int32(1), .string("two"), .void, .array([.boolean(false)])]),
            "timestamp": .timestamp(AMQPTimestamp(secondsSince1970: 1_700_000_000)),
            "table": .table(["nested": .string("yes"), "deeper": .table(["n": .int64(1)])]),
            "void": .void,
            "bytes": .bytes(ByteBuffer(bytes: [0x00, 0x01, 0x02, 0xFF])),
        ]
    }

    /// What Pika must report for `hareHeaders()`, in order; a header may have more than one
    /// acceptable report (Pika versions differ on floats).
    static func hareHeadersAsPika() -> [(key: String, accepted: [PyValue])] {
        [
            ("boolean", [.bool(true)]),
            ("int8", [.int(-8)]),
            ("uint8", [.int(200)]),
            ("int16", [.int(-1600)]),
            ("uint16", [.int(60000)]),
            ("int32", [.int(-2_000_000_000)]),
            ("uint32", [.int(4_000_000_000)]),
            ("int64", [.int(-9_000_000_000_000)]),
            ("float", [.float("1234.75"), .int(1234)]),
            ("double", [.float("-98765.25"), .int(-98765)]),
            ("decimal", [.decimal("-12.345")]),
            ("string", [.str("h\u{E9}llo \u{2603}")]),
            ("binary_string", [.bytes([0xFF, 0xFE, 0x00])]),
            ("array", [.list([.int(1), .str("two"), .pyNone, .list([.bool(false)])])]),
            ("timestamp", [.datetime(1_700_000_000)]),
            ("table", [.dict(["nested": .str("yes"), "deeper": .dict(["n": .int(1)])])]),
            ("void", [.pyNone]),
            ("bytes", [.bytes([0x00, 0x01, 0x02, 0xFF])]),
        ]
    }

    static let hareBody: [UInt8] = Array("hare -> pika ".utf8) + [0x00, 0xFF, 0x80] + Array(" \u{1F407}".utf8)

    /// Hare publishes a message with every property and every field value; Pika reports every
    /// value with the type it decoded.
    static func hareToPika<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { _, channel in
            let queue = try await declareSharedQueue(on: channel)
            let username = try Broker.username
            var properties = AMQP.BasicProperties()
            properties.contentType = "application/x-hare-interop"
            properties.contentEncoding = "gzip"
            properties.headers = hareHeaders()
            properties.deliveryMode = 1
            properties.priority = 9
            properties.correlationId = "correlation-hare"
            properties.replyTo = "reply-queue-hare"
            properties.expiration = "120000"
            properties.messageId = "message-hare"
            properties.timestamp = AMQPTimestamp(secondsSince1970: 1_234_567_890)
            properties.type = "interop.hare-to-pika"
            properties.userId = username
            properties.appId = "hare-tests"
            properties.reserved = "cluster-hare"
            try await channel.confirmSelect()
            try await channel.publish(OutgoingMessage(routingKey: queue, body: ByteBuffer(bytes: hareBody), properties: properties))
            let confirm = try await channel.nextConfirm()
            #expect(confirm.isAck)

            let report = try await PikaPeer.consume(queue: queue)
            #expect(report.body == Hex.encode(hareBody))
            #expect(report.routingKey == queue)
            #expect(report.exchange == "")
            let expected: [String: PyValue] = [
                "content_type": .str("application/x-hare-interop"),
                "content_encoding": .str("gzip"),
                "delivery_mode": .int(1),
                "priority": .int(9),
                "correlation_id": .str("correlation-hare"),
                "reply_to": .str("reply-queue-hare"),
                "expiration": .str("120000"),
                "message_id": .str("message-hare"),
                "timestamp": .int(1_234_567_890),
                "type": .str("interop.hare-to-pika"),
                "user_id": .str(username),
                "app_id": .str("hare-tests"),
                "cluster_id": .str("cluster-hare"),
            ]
            #expect(Set(report.properties.keys) == Set(expected.keys).union(["headers"]))
            for (name, value) in expected {
                #expect(report.properties[name] == value, "property \(name)")
            }
            let headers = try #require(report.properties["headers"]?.entries, "Pika saw no headers")
            let expectedHeaders = hareHeadersAsPika()
            #expect(headers.map(\.key) == expectedHeaders.map(\.key), "the header keys or their order differ")
            for (key, accepted) in expectedHeaders {
                let seen = headers.first { $0.key == key }?.value
                #expect(seen.map(accepted.contains) == true, "header '\(key)': Pika saw \(seen.map(\.description) ?? "nothing"), expected one of \(accepted)")
            }
            try await channel.queueDelete(queue)
        }
    }
}
