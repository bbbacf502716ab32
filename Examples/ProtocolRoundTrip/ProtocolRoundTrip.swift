import AMQPProtocol
import Foundation
import NIOCore
import NIOPosix

/// A publish/consume round trip with a real RabbitMQ, spoken frame by frame with nothing but
/// the generated codecs: handshake, a server-named queue, a confirmed publish whose headers hold
/// every field-table type, a consume, and a check that the delivery came back byte for byte.
///
/// `HARE_TEST_URL` (default `amqp://guest:guest@127.0.0.1:5672/`) says where the broker is.
@main
struct ProtocolRoundTrip {
    static func main() async {
        do {
            try await run()
        } catch {
            FileHandle.standardError.write(Data("protocol-roundtrip: FAILED: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run() async throws {
        let target = try BrokerAddress(url: ProcessInfo.processInfo.environment["HARE_TEST_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/")
        let started = ContinuousClock.now
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: target.host, port: target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(AMQPFrameDecoder(maxFrameSize: 131_072)))
                    return try NIOAsyncChannel<AMQPFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var session = Session(frames: inbound.makeAsyncIterator(), outbound: outbound)
            try await session.roundTrip(target)
        }
        print("protocol-roundtrip: OK in \(ContinuousClock.now - started) against \(target.host):\(target.port)")
    }
}

/// Host, port, credentials and vhost from an `amqp://` URL (enough for this example; the
/// client library has the full `URLParameters`).
struct BrokerAddress {
    var host: String
    var port: Int
    var user: String
    var password: String
    var virtualHost: String

    init(url: String) throws {
        guard let components = URLComponents(string: url), components.scheme == "amqp", let host = components.host else {
            throw RoundTripError("not an amqp:// URL: \(url)")
        }
        self.host = host
        port = components.port ?? 5672
        user = components.user?.removingPercentEncoding ?? "guest"
        password = components.password?.removingPercentEncoding ?? "guest"
        let path = components.percentEncodedPath
        virtualHost = path.isEmpty || path == "/" ? "/" : String(path.dropFirst()).removingPercentEncoding ?? "/"
    }
}

struct RoundTripError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The conversation, one frame at a time.
struct Session {
    var frames: NIOAsyncChannelInboundStream<AMQPFrame>.AsyncIterator
    var outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    var buffer = ByteBuffer()

    mutating func send(_ method: some AMQPMethodProtocol, channel: UInt16 = 0) async throws {
        buffer.clear()
        try buffer.writeAMQPMethodFrame(channel: channel, method: method)
        try await outbound.write(buffer)
    }

    mutating func next() async throws -> AMQPFrame {
        while let frame = try await frames.next() {
            if case .heartbeat = frame { continue }
            return frame
        }
        throw RoundTripError("the broker closed the connection")
    }

    mutating func expect<M: AMQPMethodProtocol>(_ type: M.Type) async throws -> M {
        let frame = try await next()
        guard case .method(_, let method) = frame else { throw RoundTripError("expected \(M.name), got \(frame)") }
        if let expected = method.payload as? M { return expected }
        switch method {
        case .connectionClose(let close):
            throw RoundTripError("expected \(M.name), broker closed the connection: \(close.replyCode) \(close.replyText)")
        case .channelClose(let close):
            throw RoundTripError("expected \(M.name), broker closed the channel: \(close.replyCode) \(close.replyText)")
        default:
            throw RoundTripError("expected \(M.name), got \(method.name)")
        }
    }

    mutating func roundTrip(_ target: BrokerAddress) async throws {
        try await outbound.write(ByteBuffer(bytes: AMQPProtocolHeader.bytes))
        let start = try await expect(AMQP.Connection.Start.self)
        guard String(buffer: start.mechanisms).split(separator: " ").contains("PLAIN") else {
            throw RoundTripError("the broker does not offer PLAIN")
        }
        try await send(AMQP.Connection.StartOk(
            clientProperties: [
                "product": "Hare protocol round trip",
                "capabilities": ["publisher_confirms": true, "basic.nack": true, "consumer_cancel_notify": true],
            ],
            mechanism: "PLAIN",
            response: ByteBuffer(string: "\u{0}\(target.user)\u{0}\(target.password)"),
            locale: "en_US"
        ))
        let tune = try await expect(AMQP.Connection.Tune.self)
        try await send(AMQP.Connection.TuneOk(channelMax: tune.channelMax, frameMax: min(tune.frameMax, 131_072), heartbeat: 0))
        try await send(AMQP.Connection.Open(virtualHost: target.virtualHost))
        _ = try await expect(AMQP.Connection.OpenOk.self)

        try await send(AMQP.Channel.Open(), channel: 1)
        _ = try await expect(AMQP.Channel.OpenOk.self)
        try await send(AMQP.Queue.Declare(exclusive: true, autoDelete: true), channel: 1)
        let queue = try await expect(AMQP.Queue.DeclareOk.self).queue
        try await send(AMQP.Confirm.Select(), channel: 1)
        _ = try await expect(AMQP.Confirm.SelectOk.self)

        let properties = AMQP.BasicProperties(
            contentType: "application/octet-stream",
            headers: Self.everyFieldType,
            deliveryMode: 2,
            priority: 3,
            correlationId: "corr-1",
            messageId: "m-1",
            timestamp: AMQPTimestamp(secondsSince1970: 1_700_000_000),
            type: "round-trip",
            appId: "hare"
        )
        let body = ByteBuffer(bytes: (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        buffer.clear()
        try buffer.writeAMQPMethodFrame(channel: 1, method: AMQP.Basic.Publish(routingKey: queue, mandatory: true))
        try buffer.writeAMQPContent(channel: 1, properties: properties, body: body, frameMax: Int(min(tune.frameMax, 131_072)))
        try await outbound.write(buffer)
        let ack = try await expect(AMQP.Basic.Ack.self)
        guard ack.deliveryTag == 1 else { throw RoundTripError("confirm for tag \(ack.deliveryTag), expected 1") }

        try await send(AMQP.Basic.Consume(queue: queue, consumerTag: "round-trip"), channel: 1)
        _ = try await expect(AMQP.Basic.ConsumeOk.self)
        let deliver = try await expect(AMQP.Basic.Deliver.self)
        guard case .header(1, let header) = try await next() else { throw RoundTripError("expected a content header") }
        var received = ByteBuffer()
        while received.readableBytes < Int(header.bodySize) {
            guard case .body(1, let piece) = try await next() else { throw RoundTripError("expected a body frame") }
            received.writeImmutableBuffer(piece)
        }
        guard received == body else { throw RoundTripError("the body came back different") }
        guard header.properties == properties else {
            throw RoundTripError("the properties came back different:\n sent \(properties)\n got  \(header.properties)")
        }
        guard deliver.routingKey == queue, deliver.consumerTag == "round-trip" else {
            throw RoundTripError("unexpected deliver \(deliver)")
        }
        try await send(AMQP.Basic.Ack(deliveryTag: deliver.deliveryTag), channel: 1)

        try await send(AMQP.Channel.Close(replyCode: 200, replyText: "done"), channel: 1)
        _ = try await expect(AMQP.Channel.CloseOk.self)
        try await send(AMQP.Connection.Close(replyCode: 200, replyText: "done"))
        _ = try await expect(AMQP.Connection.CloseOk.self)
        print("protocol-roundtrip: published and consumed \(body.readableBytes) bytes on \(queue) with \(Self.everyFieldType.count) header types")
    }

    /// One header of each field-table type RabbitMQ stores and gives back.
    static let everyFieldType: FieldTable = [
        "bool": .boolean(true),
        "int8": .int8(-8),
        "uint8": .uint8(200),
        "int16": .int16(-1600),
        "uint16": .uint16(60000),
        "int32": .int32(-320_000),
        "uint32": .uint32(4_000_000_000),
        "int64": .int64(-64_000_000_000),
        "float": .float(1.5),
        "double": .double(-2.25),
        "decimal": .decimal(AMQPDecimal(scale: 2, value: 12345)),
        "string": .string("grüß dich 🐇"),
        "array": .array([.int32(1), .string("two"), .boolean(false)]),
        "timestamp": .timestamp(AMQPTimestamp(secondsSince1970: 1_600_000_000)),
        "table": .table(["nested": .string("yes"), "deeper": .table(["n": .int64(1)])]),
        "void": .void,
        "bytes": .bytes(ByteBuffer(bytes: [0, 1, 2, 255])),
    ]
}
