import AMQPProtocol
import NIOCore
import Testing

/// Malformed frames: each gives its own typed error, naming the frame type and channel.
@Suite("Malformed frames")
struct FrameErrorTests {
    static let mib64 = 64 * 1024 * 1024

    /// A content header payload for class 60 with `bodySize` and the property flags given.
    func headerPayload(bodySize: UInt64, flags: [UInt8] = [0x00, 0x00], classID: UInt16 = 60) -> [UInt8] {
        be16(classID) + [0x00, 0x00] + be64(bodySize) + flags
    }

    @Test("a frame end other than 0xCE")
    func badFrameEnd() {
        expectParseError([0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
                         throws: AMQPProtocolError(.invalidFrameEnd(0x00), frameType: 8, channel: 0))
        let tuneOk = [0x00, 0x0A, 0x00, 0x1F, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00] as [UInt8]
        expectParseError(rawFrame(type: 1, channel: 5, payload: tuneOk, end: 0xCD),
                         throws: AMQPProtocolError(.invalidFrameEnd(0xCD), frameType: 1, channel: 5))
        expectParseError(rawFrame(type: 3, channel: 2, payload: ascii("abc"), end: 0x41),
                         throws: AMQPProtocolError(.invalidFrameEnd(0x41), frameType: 3, channel: 2))
    }

    @Test("a frame over maxFrameSize is refused from its 7-byte header alone")
    func oversizeFrameFromHeader() {
        // 1 MiB payload announced; only the header has arrived.
        expectParseError([0x01, 0x00, 0x07, 0x00, 0x10, 0x00, 0x00],
                         throws: AMQPProtocolError(.frameTooLarge(size: 0x10_0000 + 8, limit: 4096), frameType: 1, channel: 7))
        // The largest size a frame can announce.
        expectParseError([0x03, 0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xFF],
                         throws: AMQPProtocolError(.frameTooLarge(size: Int(UInt32.max) + 8, limit: 4096), frameType: 3, channel: 1))
        // One byte over the pre-tune limit of 4096 (payload 4089 + 8).
        expectParseError([0x03, 0x00, 0x01] + be32(4089),
                         throws: AMQPProtocolError(.frameTooLarge(size: 4097, limit: 4096), frameType: 3, channel: 1))
        // A custom limit.
        expectParseError([0x03, 0x00, 0x01] + be32(100), parser: AMQPFrameParser(maxFrameSize: 107),
                         throws: AMQPProtocolError(.frameTooLarge(size: 108, limit: 107), frameType: 3, channel: 1))
    }

    @Test("a frame exactly at maxFrameSize waits for its payload and then decodes")
    func frameAtLimit() throws {
        var buffer = ByteBuffer(bytes: [0x03, 0x00, 0x01] + be32(4088))
        #expect(try AMQPFrameParser().parse(&buffer) == nil)
        #expect(buffer.readerIndex == 0)
        buffer.writeBytes([UInt8](repeating: 0x5A, count: 4088) + [0xCE])
        #expect(try AMQPFrameParser().parse(&buffer) == .body(channel: 1, ByteBuffer(repeating: 0x5A, count: 4088)))
    }

    @Test("raising the decoder's maxFrameSize after tune lets bigger frames in")
    func raisedLimit() throws {
        var decoder = AMQPFrameDecoder()
        let frame = rawFrame(type: 3, channel: 1, payload: [UInt8](repeating: 1, count: 5000))
        var buffer = ByteBuffer(bytes: frame)
        #expect(throws: AMQPProtocolError(.frameTooLarge(size: 5008, limit: 4096), frameType: 3, channel: 1)) {
            _ = try decoder.decode(buffer: &buffer)
        }
        decoder.parser.maxFrameSize = 131_072
        #expect(try decoder.decode(buffer: &buffer) == .body(channel: 1, ByteBuffer(repeating: 1, count: 5000)))
    }

    @Test("an unknown frame type, such as an HTTP response, fails on its first byte")
    func unknownFrameType() {
        expectParseError(ascii("HTTP/1.1 400 Bad Request\r\n\r\n"),
                         throws: AMQPProtocolError(.unknownFrameType(0x48), frameType: 0x48))
        expectParseError(ascii("H"), throws: AMQPProtocolError(.unknownFrameType(0x48), frameType: 0x48))
        expectParseError([0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xCE],
                         throws: AMQPProtocolError(.unknownFrameType(4), frameType: 4))
        expectParseError([0x00], throws: AMQPProtocolError(.unknownFrameType(0), frameType: 0))
        // Starts like a protocol header but is not one.
        expectParseError(ascii("AMQX"), throws: AMQPProtocolError(.unknownFrameType(0x41), frameType: 0x41))
    }

    @Test("a protocol header from the server is a version mismatch")
    func protocolHeaderFromServer() throws {
        expectParseError(ascii("AMQP") + [0, 0, 9, 1],
                         throws: AMQPProtocolError(.protocolVersionMismatch(major: 0, minor: 9, revision: 1)))
        expectParseError(ascii("AMQP") + [1, 1, 0, 10],
                         throws: AMQPProtocolError(.protocolVersionMismatch(major: 1, minor: 0, revision: 10)))
        // Until all 8 bytes are there it is "need more".
        for length in 1..<8 {
            var buffer = ByteBuffer(bytes: (ascii("AMQP") + [0, 0, 9, 1]).prefix(length))
            #expect(try AMQPFrameParser().parse(&buffer) == nil, "prefix \(length)")
        }
    }

    @Test("a heartbeat on a non-zero channel or with a payload")
    func badHeartbeat() {
        expectParseError([0x08, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0xCE],
                         throws: AMQPProtocolError(.invalidHeartbeat, frameType: 8, channel: 5))
        expectParseError([0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0xCE],
                         throws: AMQPProtocolError(.invalidHeartbeat, frameType: 8, channel: 0))
    }

    @Test("a content header or body on channel 0")
    func contentOnChannelZero() {
        expectParseError(rawFrame(type: 2, channel: 0, payload: headerPayload(bodySize: 0)),
                         throws: AMQPProtocolError(.invalidChannel, frameType: 2, channel: 0))
        expectParseError(rawFrame(type: 3, channel: 0, payload: ascii("A")),
                         throws: AMQPProtocolError(.invalidChannel, frameType: 3, channel: 0))
    }

    @Test("a body size over the default 64 MiB limit")
    func bodyTooLargeDefault() {
        expectParseError(rawFrame(type: 2, channel: 1, payload: headerPayload(bodySize: UInt64(Self.mib64) + 1)),
                         throws: AMQPProtocolError(.bodyTooLarge(size: UInt64(Self.mib64) + 1, limit: Self.mib64), frameType: 2, channel: 1))
        expectParseError(rawFrame(type: 2, channel: 1, payload: headerPayload(bodySize: 1 << 63)),
                         throws: AMQPProtocolError(.bodyTooLarge(size: 1 << 63, limit: Self.mib64), frameType: 2, channel: 1))
        expectParseError(rawFrame(type: 2, channel: 9, payload: headerPayload(bodySize: .max)),
                         throws: AMQPProtocolError(.bodyTooLarge(size: .max, limit: Self.mib64), frameType: 2, channel: 9))
        // Exactly 64 MiB is allowed.
        expectFrames(rawFrame(type: 2, channel: 1, payload: headerPayload(bodySize: UInt64(Self.mib64))),
                     [.header(channel: 1, AMQPContentHeader(bodySize: UInt64(Self.mib64), properties: AMQP.BasicProperties()))])
    }

    @Test("a body size over a custom limit")
    func bodyTooLargeCustom() {
        let parser = AMQPFrameParser(maxBodySize: 1000)
        expectParseError(rawFrame(type: 2, channel: 4, payload: headerPayload(bodySize: 1001)), parser: parser,
                         throws: AMQPProtocolError(.bodyTooLarge(size: 1001, limit: 1000), frameType: 2, channel: 4))
        expectParseError(rawFrame(type: 2, channel: 4, payload: headerPayload(bodySize: 1 << 63)), parser: parser,
                         throws: AMQPProtocolError(.bodyTooLarge(size: 1 << 63, limit: 1000), frameType: 2, channel: 4))
        expectFrames(rawFrame(type: 2, channel: 4, payload: headerPayload(bodySize: 1000)), parser: parser,
                     [.header(channel: 4, AMQPContentHeader(bodySize: 1000, properties: AMQP.BasicProperties()))])
        var decoder = AMQPFrameDecoder(maxBodySize: 10)
        var buffer = ByteBuffer(bytes: rawFrame(type: 2, channel: 4, payload: headerPayload(bodySize: 11)))
        #expect(throws: AMQPProtocolError(.bodyTooLarge(size: 11, limit: 10), frameType: 2, channel: 4)) {
            _ = try decoder.decode(buffer: &buffer)
        }
    }

    @Test("property flags with the continuation bit set")
    func propertyFlagsContinuation() {
        expectParseError(rawFrame(type: 2, channel: 1, payload: headerPayload(bodySize: 0, flags: [0x00, 0x01])),
                         throws: AMQPProtocolError(.propertyFlagsContinuation, frameType: 2, channel: 1))
        expectParseError(rawFrame(type: 2, channel: 1, payload: headerPayload(bodySize: 0, flags: [0x80, 0x01, 0x00, 0x00, 0x00])),
                         throws: AMQPProtocolError(.propertyFlagsContinuation, frameType: 2, channel: 1))
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF])
        #expect(throws: AMQPProtocolError(.propertyFlagsContinuation)) {
            _ = try AMQP.BasicProperties(from: &buffer)
        }
    }

    @Test("a content header for a class without content")
    func unknownContentClass() {
        expectParseError(rawFrame(type: 2, channel: 1, payload: headerPayload(bodySize: 0, classID: 50)),
                         throws: AMQPProtocolError(.unknownContentClass(classID: 50), frameType: 2, channel: 1))
    }

    @Test("unknown class and method ids")
    func unknownMethod() {
        expectParseError(rawFrame(type: 1, channel: 3, payload: [0x00, 0x3C, 0x00, 0x63]),
                         throws: AMQPProtocolError(.unknownMethod(classID: 60, methodID: 99), frameType: 1, channel: 3))
        expectParseError(rawFrame(type: 1, channel: 0, payload: [0x00, 0x0A, 0x00, 0x0C]),
                         throws: AMQPProtocolError(.unknownMethod(classID: 10, methodID: 12), frameType: 1, channel: 0))
        expectParseError(rawFrame(type: 1, channel: 0, payload: [0xFF, 0xFF, 0xFF, 0xFF]),
                         throws: AMQPProtocolError(.unknownMethod(classID: 65535, methodID: 65535), frameType: 1, channel: 0))
        // Class 30 (access) is not in 0-9-1.
        var buffer = ByteBuffer(bytes: [0x00, 0x1E, 0x00, 0x0A])
        #expect(throws: AMQPProtocolError(.unknownMethod(classID: 30, methodID: 10))) {
            _ = try AMQP.Method(from: &buffer)
        }
    }

    @Test("a method frame too short for its ids or fixed fields")
    func truncatedMethod() {
        expectParseError(rawFrame(type: 1, channel: 0, payload: []),
                         throws: AMQPProtocolError(.truncated(needed: 2, available: 0), frameType: 1, channel: 0))
        // connection.tune without its heartbeat short; the next frame's bytes must not be borrowed.
        let tune: [UInt8] = [0x00, 0x0A, 0x00, 0x1E, 0x00, 0x01, 0x00, 0x00, 0x10, 0x00]
        expectParseError(rawFrame(type: 1, channel: 0, payload: tune) + [0x08, 0, 0, 0, 0, 0, 0, 0xCE],
                         throws: AMQPProtocolError(.truncated(needed: 2, available: 0), frameType: 1, channel: 0))
    }

    @Test("after a good frame, a bad one fails without touching what follows it")
    func errorAfterGoodFrame() throws {
        var buffer = ByteBuffer(bytes: [0x08, 0, 0, 0, 0, 0, 0, 0xCE] + [0x08, 0, 0, 0, 0, 0, 0, 0x00])
        #expect(try AMQPFrameParser().parse(&buffer) == .heartbeat)
        #expect(throws: AMQPProtocolError(.invalidFrameEnd(0), frameType: 8, channel: 0)) {
            _ = try AMQPFrameParser().parse(&buffer)
        }
        #expect(buffer.readerIndex == 8)
    }

    @Test("errors describe themselves with the frame they came from")
    func errorDescription() {
        let error = AMQPProtocolError(.invalidFrameEnd(0xCD), frameType: 1, channel: 5)
        #expect(error.description.contains("0xcd"))
        #expect(error.description.contains("frame type 1"))
        #expect(error.description.contains("channel 5"))
    }
}
