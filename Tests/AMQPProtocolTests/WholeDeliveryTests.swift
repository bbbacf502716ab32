import AMQPProtocol
import NIOCore
import Testing

/// `AMQPFrameParser.parseFrames(_:sharingStrings:deliveries:frames:)`: a basic.deliver whose
/// content follows whole comes out as one message; everything else as the frame-by-frame
/// parse gives it, errors included.
@Suite("Parsing whole deliveries")
struct WholeDeliveryTests {
    /// What a parse handed out: a whole delivery, or a frame.
    enum Item: Equatable {
        case delivery(channel: UInt16, AMQP.Basic.Deliver, AMQP.BasicProperties, ByteBuffer)
        case frame(AMQPFrame)

        /// The frames the frame-by-frame parse gives for this item.
        var frames: [AMQPFrame] {
            switch self {
            case .frame(let frame):
                return [frame]
            case .delivery(let channel, let deliver, let properties, let body):
                let header = AMQPContentHeader(bodySize: UInt64(body.readableBytes), properties: properties)
                var frames: [AMQPFrame] = [.method(channel: channel, .basicDeliver(deliver)), .header(channel: channel, header)]
                if body.readableBytes > 0 { frames.append(.body(channel: channel, body)) }
                return frames
            }
        }
    }

    /// What parsing a buffer gave: the items, the error, and the bytes left.
    struct Outcome {
        var items: [Item] = []
        var error: AMQPProtocolError?
        var left: [UInt8] = []
        /// The frames, with each header's weight as 0: AMQP 0-9-1 leaves it unused, and a
        /// whole delivery does not carry it.
        var frames: [AMQPFrame] {
            items.flatMap(\.frames).map { frame in
                guard case .header(let channel, var header) = frame else { return frame }
                header.weight = 0
                return .header(channel: channel, header)
            }
        }
    }

    static let deliver = AMQP.Basic.Deliver(
        consumerTag: "amq.ctag-whole-delivery-test", deliveryTag: 7, redelivered: true, exchange: "ex", routingKey: "rk")
    static let properties = AMQP.BasicProperties(contentType: "text/plain", headers: ["h": .string("v")], deliveryMode: 2)

    /// A delivery's three frames (two with an empty body), the body split at `frameMax`.
    static func message(channel: UInt16 = 1, body: String, frameMax: Int = 4096) throws -> [UInt8] {
        var buffer = ByteBuffer()
        try buffer.writeAMQPMethodFrame(channel: channel, method: deliver)
        try buffer.writeAMQPContent(channel: channel, properties: properties, body: ByteBuffer(string: body), frameMax: frameMax)
        return buffer.bytes
    }

    /// A delivery's method frame alone.
    static func methodFrame(channel: UInt16 = 1) throws -> [UInt8] {
        var buffer = ByteBuffer()
        try buffer.writeAMQPMethodFrame(channel: channel, method: deliver)
        return buffer.bytes
    }

    func wholeParse(_ bytes: [UInt8], parser: AMQPFrameParser = AMQPFrameParser(), stopAfter limit: Int = .max) -> Outcome {
        var buffer = ByteBuffer(bytes: bytes)
        var outcome = Outcome()
        do {
            try parser.parseFrames(
                &buffer,
                deliveries: { channel, deliver, properties, body in
                    outcome.items.append(.delivery(channel: channel, deliver, properties, body))
                    return outcome.items.count < limit
                },
                frames: { frame in
                    outcome.items.append(.frame(frame))
                    return outcome.items.count < limit
                }
            )
        } catch {
            outcome.error = error
        }
        outcome.left = buffer.bytes
        return outcome
    }

    func frameParse(_ bytes: [UInt8], parser: AMQPFrameParser = AMQPFrameParser()) -> Outcome {
        var buffer = ByteBuffer(bytes: bytes)
        var outcome = Outcome()
        do {
            try parser.parseFrames(&buffer) { frame in
                outcome.items.append(.frame(frame))
                return true
            }
        } catch {
            outcome.error = error
        }
        outcome.left = buffer.bytes
        return outcome
    }

    /// Expects both parses of `bytes` to agree: the same frames, the same error, the same rest.
    func expectSameAsFrames(_ bytes: [UInt8], parser: AMQPFrameParser = AMQPFrameParser(), _ comment: Comment? = nil,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        let whole = wholeParse(bytes, parser: parser)
        let plain = frameParse(bytes, parser: parser)
        #expect(whole.frames == plain.frames, comment, sourceLocation: sourceLocation)
        #expect(whole.error == plain.error, comment, sourceLocation: sourceLocation)
        #expect(whole.left == plain.left, comment, sourceLocation: sourceLocation)
    }

    @Test("a delivery whose content is here comes out whole, its body a slice of the read")
    func wholeDelivery() throws {
        let bytes = try Self.message(channel: 3, body: "hello") + rawFrame(type: 8, channel: 0, payload: [])
        let outcome = wholeParse(bytes)
        #expect(outcome.items == [
            .delivery(channel: 3, Self.deliver, Self.properties, ByteBuffer(string: "hello")),
            .frame(.heartbeat),
        ])
        #expect(outcome.error == nil)
        #expect(outcome.left.isEmpty)
    }

    @Test("an empty body has no body frame: the delivery ends with its header")
    func emptyBody() throws {
        let bytes = try Self.message(body: "") + Self.message(body: "next")
        #expect(wholeParse(bytes).items == [
            .delivery(channel: 1, Self.deliver, Self.properties, ByteBuffer()),
            .delivery(channel: 1, Self.deliver, Self.properties, ByteBuffer(string: "next")),
        ])
    }

    @Test("a body over several frames goes frame by frame")
    func splitBody() throws {
        let bytes = try Self.message(body: "0123456789", frameMax: 12)  // body frames of 4 bytes
        let outcome = wholeParse(bytes)
        #expect(outcome.items.count == 5)
        #expect(outcome.items.allSatisfy { if case .frame = $0 { true } else { false } })
        #expect(outcome.frames == frameParse(bytes).frames)
    }

    @Test("content not all here yet: the method frame goes alone, the rest waits")
    func partialContent() throws {
        let bytes = try Self.message(body: "hello")
        for cut in 0..<bytes.count {
            let prefix = Array(bytes.prefix(cut))
            let whole = wholeParse(prefix)
            expectSameAsFrames(prefix, "cut at \(cut)")
            // Once the method frame is here it is handed out, even before its content, and
            // so is the header frame once it is here too.
            let methodEnd = try Self.methodFrame().count
            let headerEnd = bytes.count - (8 + 5)
            #expect(whole.items.count == (cut >= headerEnd ? 2 : cut >= methodEnd ? 1 : 0), "cut at \(cut)")
        }
    }

    @Test("content on another channel, or a frame other than content after the method, goes frame by frame")
    func notItsContent() throws {
        let method = try Self.methodFrame()
        let content = try Self.message(body: "x").suffix(from: method.count)
        let otherChannel = try Self.message(channel: 2, body: "x").suffix(from: method.count)
        let cases: [[UInt8]] = [
            method + otherChannel,
            method + rawFrame(type: 8, channel: 0, payload: []) + content,
        ]
        for bytes in cases {
            let outcome = wholeParse(bytes)
            #expect(outcome.items.allSatisfy { if case .frame = $0 { true } else { false } })
            expectSameAsFrames(bytes)
        }
        // A method frame followed by a whole delivery: the first goes alone.
        let twice = method + method + content
        #expect(wholeParse(twice).items == [
            .frame(.method(channel: 1, .basicDeliver(Self.deliver))),
            .delivery(channel: 1, Self.deliver, Self.properties, ByteBuffer(string: "x")),
        ])
        expectSameAsFrames(twice)
    }

    @Test("a body frame of another size than the header announced goes frame by frame")
    func bodySizeMismatch() throws {
        var bytes = try Self.message(body: "hello")
        // The body frame is the last 5 + 8 bytes; make it carry 4 of the announced 5.
        bytes.removeLast(13)
        bytes += rawFrame(type: 3, channel: 1, payload: ascii("hell"))
        let outcome = wholeParse(bytes)
        #expect(outcome.items.count == 3)
        expectSameAsFrames(bytes)
    }

    @Test("a malformed content frame fails where the frame-by-frame parse fails, after the same frames")
    func malformedContent() throws {
        let good = try Self.message(body: "hello")
        let headerStart = try Self.methodFrame().count
        var badEnd = good
        badEnd[badEnd.count - 1] = 0x00  // the body frame's end octet
        var badHeaderEnd = good
        badHeaderEnd[good.count - 14] = 0x00  // the header frame's end octet
        var badClass = good
        badClass[headerStart + 8] = 20  // the header's class id: 60 becomes 20
        var headerOnChannelZero = good
        headerOnChannelZero[headerStart + 1] = 0
        headerOnChannelZero[headerStart + 2] = 0
        // A body frame over the frame limit, after a method and header frame within it.
        let large = try Self.message(body: String(repeating: "x", count: 300))
        let tooLarge = AMQPFrameParser(maxFrameSize: 200)
        for (bytes, parser) in [
            (badEnd, AMQPFrameParser()), (badHeaderEnd, AMQPFrameParser()), (badClass, AMQPFrameParser()),
            (headerOnChannelZero, AMQPFrameParser()), (large, tooLarge),
        ] {
            let outcome = wholeParse(bytes, parser: parser)
            #expect(outcome.error != nil)
            expectSameAsFrames(bytes, parser: parser)
        }
    }

    @Test("a delivery on channel 0 goes frame by frame, and fails as it does there")
    func channelZero() throws {
        let bytes = try Self.message(channel: 0, body: "hello")
        let outcome = wholeParse(bytes)
        #expect(outcome.error == AMQPProtocolError(.invalidChannel, frameType: 2, channel: 0))
        expectSameAsFrames(bytes)
    }

    @Test("stops when a closure says so, after consuming what it handed out")
    func stopsEarly() throws {
        let bytes = try Self.message(body: "a") + Self.message(body: "b")
        let outcome = wholeParse(bytes, stopAfter: 1)
        #expect(outcome.items == [.delivery(channel: 1, Self.deliver, Self.properties, ByteBuffer(string: "a"))])
        #expect(outcome.left == (try Self.message(body: "b")))
    }

    @Test("agrees with the frame-by-frame parse on every split and on damaged streams")
    func agreesWithFrames() throws {
        var random = TestSeed.generator(for: "WholeDeliveryTests.agreesWithFrames")
        let stream = try Self.message(body: "hello") + Self.message(body: "") + rawFrame(type: 8, channel: 0, payload: [])
            + Self.message(channel: 2, body: "0123456789", frameMax: 12) + Self.message(body: "end")
        for split in 0...stream.count {
            let first = Array(stream.prefix(split))
            let whole = wholeParse(first)
            let plain = frameParse(first)
            #expect(whole.frames == plain.frames, "split at \(split)")
            #expect(whole.left == plain.left, "split at \(split)")
            let rest = whole.left + stream.suffix(from: split)
            expectSameAsFrames(rest, "split at \(split)")
        }
        for round in 0..<2000 {
            var damaged = stream
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                damaged[Int.random(in: 0..<damaged.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            expectSameAsFrames(damaged, "round \(round), \(TestSeed.replay)")
        }
    }
}
