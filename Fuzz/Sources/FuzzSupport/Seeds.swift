import AMQPProtocolFuzzable
import NIOCore

/// The seed corpus: byte vectors of what a RabbitMQ connection really carries, written by hand
/// with `SeedWire`, plus one minimal payload per method the decoder knows.
public enum Seeds {
    // MARK: Field tables

    /// What RabbitMQ 3.x sends as server-properties in connection.start.
    static let serverProperties: [(String, SeedValue)] = [
        ("capabilities", .F([
            ("publisher_confirms", .t(true)),
            ("exchange_exchange_bindings", .t(true)),
            ("basic.nack", .t(true)),
            ("consumer_cancel_notify", .t(true)),
            ("connection.blocked", .t(true)),
            ("consumer_priorities", .t(true)),
            ("authentication_failure_close", .t(true)),
            ("per_consumer_qos", .t(true)),
            ("direct_reply_to", .t(true)),
        ])),
        ("cluster_name", .S("rabbit@hare")),
        ("copyright", .S("Copyright (c) 2007-2023 VMware, Inc. or its affiliates.")),
        ("information", .S("Licensed under the MPL 2.0. Website: https://rabbitmq.com")),
        ("platform", .S("Erlang/OTP 25.3.2.8")),
        ("product", .S("RabbitMQ")),
        ("version", .S("3.12.1")),
    ]

    /// What a client (Pika-like) sends as client-properties in connection.start-ok.
    static let clientProperties: [(String, SeedValue)] = [
        ("product", .S("Hare")),
        ("platform", .S("Swift 6")),
        ("capabilities", .F([
            ("authentication_failure_close", .t(true)),
            ("basic.nack", .t(true)),
            ("connection.blocked", .t(true)),
            ("consumer_cancel_notify", .t(true)),
            ("publisher_confirms", .t(true)),
        ])),
        ("information", .S("See https://github.com/")),
        ("version", .S("0.1.0")),
        ("connection_name", .S("fuzz ✓")),
    ]

    /// queue.declare arguments as applications use them.
    static let queueArguments: [(String, SeedValue)] = [
        ("x-message-ttl", .I(60_000)),
        ("x-max-length", .l(1000)),
        ("x-dead-letter-exchange", .S("dlx")),
        ("x-dead-letter-routing-key", .S("dead")),
        ("x-max-priority", .b(10)),
        ("x-queue-type", .S("quorum")),
        ("x-expires", .i(1_800_000)),
    ]

    /// One value of every type, nested tables and arrays included.
    static let everyType: [(String, SeedValue)] = [
        ("bool", .t(false)), ("int8", .b(-128)), ("uint8", .B(255)), ("int16", .s(-32768)),
        ("uint16", .u(65535)), ("int32", .I(-1)), ("uint32", .i(UInt32.max)), ("int64", .l(Int64.min)),
        ("float", .f(-1.5)), ("nan", .f(.nan)), ("double", .d(3.141592653589793)), ("inf", .d(-.infinity)),
        ("decimal", .D(scale: 2, value: -12345)), ("string", .S("héllo wörld 🐇")),
        ("binary", .rawS([0xFF, 0xFE, 0x00, 0xC3])), ("array", .A([.I(1), .S("two"), .A([.V]), .F([("k", .t(true))])])),
        ("time", .T(1_700_000_000)), ("table", .F([("nested", .F([("deeper", .x([1, 2, 3]))]))])),
        ("void", .V), ("bytes", .x([0, 1, 2, 0xCE])), ("", .S("")), ("dup", .I(1)), ("dup", .I(2)),
    ]

    /// Tables nested exactly to the limit, and one level past it.
    static func nested(depth: Int) -> [(String, SeedValue)] {
        var table: [(String, SeedValue)] = [("leaf", .I(Int32(depth)))]
        for level in 1..<depth {
            table = [(level % 2 == 0 ? "t" : "u", level % 3 == 0 ? .A([.F(table)]) : .F(table))]
        }
        return table
    }

    static func tableBytes(_ entries: [(String, SeedValue)]) -> [UInt8] {
        var wire = SeedWire()
        wire.table(entries)
        return wire.bytes
    }

    /// Field tables as `readAMQPFieldTable` reads them (32-bit size first).
    public static var tables: [[UInt8]] {
        [
            tableBytes([]),
            tableBytes(serverProperties),
            tableBytes(clientProperties),
            tableBytes(queueArguments),
            tableBytes(everyType),
            tableBytes([("x-match", .S("all")), ("format", .S("pdf")), ("type", .S("report"))]),
            tableBytes(nested(depth: 8)),
            tableBytes([("deep", .F(nested(depth: 30)))]),
        ]
    }

    /// Field arrays as `readAMQPFieldArray` reads them.
    public static var arrays: [[UInt8]] {
        var empty = SeedWire()
        empty.array([])
        var all = SeedWire()
        all.array(everyType.map(\.1))
        var deaths = SeedWire()
        deaths.array([.F([
            ("count", .l(1)), ("reason", .S("rejected")), ("queue", .S("work")), ("time", .T(1_700_000_000)),
            ("exchange", .S("")), ("routing-keys", .A([.S("work")])),
        ])])
        return [empty.bytes, all.bytes, deaths.bytes]
    }

    // MARK: Properties

    /// Content header properties (flag word first).
    public static var properties: [[UInt8]] {
        var none = SeedWire()
        none.short(0)

        var persistentText = SeedWire()
        persistentText.short(0x9000)  // content-type, delivery-mode
        persistentText.shortstr("text/plain")
        persistentText.octet(2)

        var all = SeedWire()
        all.short(0xFFFC)
        all.shortstr("application/json")
        all.shortstr("gzip")
        all.table([("x-death", .A([.F([("count", .l(2))])])), ("trace", .S("abc"))] + everyType)
        all.octet(1)
        all.octet(9)
        all.shortstr("corr-42")
        all.shortstr("amq.rabbitmq.reply-to")
        all.shortstr("60000")
        all.shortstr("msg-0001")
        all.longlong(1_700_000_000)
        all.shortstr("order.created")
        all.shortstr("guest")
        all.shortstr("billing")
        all.shortstr("")

        var rpc = SeedWire()
        rpc.short(0x8600)  // content-type, correlation-id, reply-to
        rpc.shortstr("application/octet-stream")
        rpc.shortstr("7f3c")
        rpc.shortstr("amq.gen-Xa2")

        var headersOnly = SeedWire()
        headersOnly.short(0x2000)
        headersOnly.table(queueArguments)

        return [none.bytes, persistentText.bytes, all.bytes, rpc.bytes, headersOnly.bytes]
    }

    // MARK: Methods

    /// The handshake and the everyday methods, as method frame payloads.
    static var namedMethods: [(name: String, payload: [UInt8])] {
        [
            ("connection.start", SeedWire.method(10, 10) { w in
                w.octet(0); w.octet(9); w.table(serverProperties); w.longstr("AMQPLAIN PLAIN"); w.longstr("en_US")
            }),
            ("connection.start-ok", SeedWire.method(10, 11) { w in
                w.table(clientProperties); w.shortstr("PLAIN"); w.longstr([0] + Array("guest".utf8) + [0] + Array("guest".utf8)); w.shortstr("en_US")
            }),
            ("connection.secure", SeedWire.method(10, 20) { w in w.longstr("challenge") }),
            ("connection.secure-ok", SeedWire.method(10, 21) { w in w.longstr("response") }),
            ("connection.tune", SeedWire.method(10, 30) { w in w.short(2047); w.long(131_072); w.short(60) }),
            ("connection.tune-ok", SeedWire.method(10, 31) { w in w.short(2047); w.long(131_072); w.short(60) }),
            ("connection.open", SeedWire.method(10, 40) { w in w.shortstr("/"); w.shortstr(""); w.bits(false) }),
            ("connection.open-ok", SeedWire.method(10, 41) { w in w.shortstr("") }),
            ("connection.close", SeedWire.method(10, 50) { w in
                w.short(320); w.shortstr("CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'"); w.short(0); w.short(0)
            }),
            ("connection.close-ok", SeedWire.method(10, 51)),
            ("connection.blocked", SeedWire.method(10, 60) { w in w.shortstr("low on memory") }),
            ("connection.unblocked", SeedWire.method(10, 61)),
            ("connection.update-secret", SeedWire.method(10, 70) { w in w.longstr("new-token"); w.shortstr("refresh") }),
            ("channel.open", SeedWire.method(20, 10) { w in w.shortstr("") }),
            ("channel.open-ok", SeedWire.method(20, 11) { w in w.longstr("") }),
            ("channel.flow", SeedWire.method(20, 20) { w in w.bits(true) }),
            ("channel.close", SeedWire.method(20, 40) { w in w.short(404); w.shortstr("NOT_FOUND - no queue 'missing' in vhost '/'"); w.short(50); w.short(10) }),
            ("exchange.declare", SeedWire.method(40, 10) { w in
                w.short(0); w.shortstr("logs"); w.shortstr("fanout"); w.bits(false, true, false, false, false); w.table([("alternate-exchange", .S("ae"))])
            }),
            ("exchange.bind", SeedWire.method(40, 30) { w in w.short(0); w.shortstr("dst"); w.shortstr("src"); w.shortstr("#"); w.bits(false); w.table([]) }),
            ("queue.declare", SeedWire.method(50, 10) { w in
                w.short(0); w.shortstr("task_queue"); w.bits(false, true, false, false, false); w.table(queueArguments)
            }),
            ("queue.declare-ok", SeedWire.method(50, 11) { w in w.shortstr("amq.gen-JzTY20BRgKO-HjmUJj0wLg"); w.long(3); w.long(1) }),
            ("queue.bind", SeedWire.method(50, 20) { w in
                w.short(0); w.shortstr("reports"); w.shortstr("headers"); w.shortstr(""); w.bits(false); w.table([("x-match", .S("all")), ("format", .S("pdf"))])
            }),
            ("queue.delete", SeedWire.method(50, 40) { w in w.short(0); w.shortstr("old"); w.bits(true, true, false) }),
            ("basic.qos", SeedWire.method(60, 10) { w in w.long(0); w.short(10); w.bits(false) }),
            ("basic.consume", SeedWire.method(60, 20) { w in
                w.short(0); w.shortstr("hello"); w.shortstr(""); w.bits(false, true, false, false); w.table([("x-priority", .I(10))])
            }),
            ("basic.consume-ok", SeedWire.method(60, 21) { w in w.shortstr("amq.ctag-Qnl4vKKbX6ZSzJeDPn2iGw") }),
            ("basic.cancel", SeedWire.method(60, 30) { w in w.shortstr("amq.ctag-Qnl4vKKbX6ZSzJeDPn2iGw"); w.bits(false) }),
            ("basic.publish", SeedWire.method(60, 40) { w in w.short(0); w.shortstr(""); w.shortstr("hello"); w.bits(true, false) }),
            ("basic.return", SeedWire.method(60, 50) { w in w.short(312); w.shortstr("NO_ROUTE"); w.shortstr("amq.direct"); w.shortstr("nowhere") }),
            ("basic.deliver", SeedWire.method(60, 60) { w in
                w.shortstr("amq.ctag-Qnl4vKKbX6ZSzJeDPn2iGw"); w.longlong(1); w.bits(false); w.shortstr(""); w.shortstr("hello")
            }),
            ("basic.get", SeedWire.method(60, 70) { w in w.short(0); w.shortstr("hello"); w.bits(true) }),
            ("basic.get-ok", SeedWire.method(60, 71) { w in w.longlong(7); w.bits(true); w.shortstr("ex"); w.shortstr("rk"); w.long(41) }),
            ("basic.get-empty", SeedWire.method(60, 72) { w in w.shortstr("") }),
            ("basic.ack", SeedWire.method(60, 80) { w in w.longlong(42); w.bits(true) }),
            ("basic.reject", SeedWire.method(60, 90) { w in w.longlong(43); w.bits(false) }),
            ("basic.recover", SeedWire.method(60, 110) { w in w.bits(true) }),
            ("basic.nack", SeedWire.method(60, 120) { w in w.longlong(UInt64.max); w.bits(true, true) }),
            ("tx.select", SeedWire.method(90, 10)),
            ("confirm.select", SeedWire.method(85, 10) { w in w.bits(false) }),
        ]
    }

    /// The method payloads above, by name.
    static func method(_ name: String) -> [UInt8] {
        namedMethods.first { $0.name == name }!.payload
    }

    /// The handshake and everyday method payloads.
    public static var protocolMethods: [[UInt8]] { namedMethods.map(\.payload) }

    /// One shortest payload for every (class id, method id) the decoder accepts: the ids and as
    /// many zero bytes as its arguments take.
    public static var everyMethod: [[UInt8]] {
        var seeds: [[UInt8]] = []
        for classID in stride(from: UInt16(0), through: 200, by: 5) {
            for methodID in UInt16(0)...200 {
                var buffer = ByteBuffer()
                buffer.writeInteger(classID)
                buffer.writeInteger(methodID)
                buffer.writeRepeatingByte(0, count: 64)
                let total = buffer.readableBytes
                guard (try? AMQP.Method(from: &buffer)) != nil else { continue }
                seeds.append(SeedWire.method(classID, methodID) + [UInt8](repeating: 0, count: total - buffer.readableBytes - 4))
            }
        }
        return seeds
    }

    /// All method payloads.
    public static var methods: [[UInt8]] { protocolMethods + everyMethod }

    // MARK: Frames

    /// A frame of a seed stream.
    struct Frame {
        var type: UInt8
        var channel: UInt16
        var payload: [UInt8]

        /// The frame on the wire.
        var raw: [UInt8] { SeedWire.frame(type: type, channel: channel, payload) }

        /// The frame as `FrameStream.framed` reads it: type, channel, 16-bit length, payload.
        var compact: [UInt8] {
            var wire = SeedWire()
            wire.octet(type)
            wire.short(channel)
            wire.short(UInt16(payload.count))
            return wire.bytes + payload
        }
    }

    static let heartbeat = Frame(type: 8, channel: 0, payload: [])

    static func methodFrame(channel: UInt16, _ name: String) -> Frame {
        Frame(type: 1, channel: channel, payload: method(name))
    }

    static func headerFrame(channel: UInt16, bodySize: Int, properties: [UInt8]) -> Frame {
        Frame(type: 2, channel: channel, payload: SeedWire.contentHeader(bodySize: UInt64(bodySize), properties))
    }

    static func bodyFrame(channel: UInt16, _ body: some StringProtocol) -> Frame {
        Frame(type: 3, channel: channel, payload: Array(body.utf8))
    }

    /// Sequences of frames: a server's side of a connection, a publish, a delivery split over
    /// body frames, heartbeats.
    static var frameSequences: [[Frame]] {
        let publish = [
            methodFrame(channel: 1, "basic.publish"),
            headerFrame(channel: 1, bodySize: 12, properties: properties[1]),
            bodyFrame(channel: 1, "Hello World!"),
        ]
        let deliver = [
            methodFrame(channel: 1, "basic.deliver"),
            headerFrame(channel: 1, bodySize: 12, properties: properties[2]),
            bodyFrame(channel: 1, "Hello"),
            bodyFrame(channel: 1, " World!"),
        ]
        let emptyBody = [methodFrame(channel: 2, "basic.publish"), headerFrame(channel: 2, bodySize: 0, properties: properties[0])]
        let handshake = [
            methodFrame(channel: 0, "connection.start"), methodFrame(channel: 0, "connection.tune"),
            methodFrame(channel: 0, "connection.open-ok"), methodFrame(channel: 1, "channel.open-ok"), heartbeat,
        ]
        return [
            [heartbeat],
            [heartbeat, heartbeat],
            [methodFrame(channel: 0, "connection.start")],
            handshake,
            publish,
            deliver,
            emptyBody,
            [methodFrame(channel: 1, "queue.declare")],
            [methodFrame(channel: 1, "queue.declare-ok"), methodFrame(channel: 1, "basic.get-empty"), heartbeat],
            [methodFrame(channel: 0, "connection.close"), methodFrame(channel: 0, "connection.close-ok")],
            handshake + publish + deliver + [heartbeat] + emptyBody,
        ]
    }

    /// Frame streams as they arrive, the protocol header included, and the same sequences in
    /// the compact layout of `FrameStream.framed`.
    public static var frameStreams: [[UInt8]] {
        frameSequences.map { $0.flatMap(\.raw) } + [Array("AMQP".utf8) + [0, 0, 9, 1]]
            + frameSequences.map { $0.flatMap(\.compact) }
    }

    // MARK: Round trip

    /// Inputs of the round-trip fuzzer: a mode byte, then the data for that mode.
    public static var roundTrip: [[UInt8]] {
        var seeds: [[UInt8]] = []
        func add(_ mode: RoundTrip.Mode, _ inputs: [[UInt8]]) {
            seeds += inputs.map { [mode.rawValue] + $0 }
        }
        add(.method, protocolMethods)
        add(.properties, properties)
        add(.table, tables)
        add(.array, arrays)
        add(.content, properties.enumerated().map { index, properties in
            [UInt8(index * 7)] + properties + Array("a body of some bytes, split over frames".utf8)
        })
        add(.frames, frameStreams)
        return seeds
    }
}
