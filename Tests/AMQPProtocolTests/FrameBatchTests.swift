import AMQPProtocol
import NIOCore
import Testing

/// `AMQPFrameParser.parseFrames`: every whole frame of a buffer in one pass, as the client reads.
@Suite("Parsing frames in one pass")
struct FrameBatchTests {
    let heartbeat = rawFrame(type: 8, channel: 0, payload: [])
    let body = rawFrame(type: 3, channel: 1, payload: ascii("hello"))

    func parseFrames(
        _ buffer: inout ByteBuffer, parser: AMQPFrameParser = AMQPFrameParser(), stopAfter limit: Int = .max
    ) throws(AMQPProtocolError) -> [AMQPFrame] {
        var frames: [AMQPFrame] = []
        try parser.parseFrames(&buffer) { frame in
            frames.append(frame)
            return frames.count < limit
        }
        return frames
    }

    @Test("hands out every whole frame in order and keeps a frame not all here yet")
    func wholeFramesThenPartial() throws {
        let partial = Array(body.prefix(9))
        var buffer = ByteBuffer(bytes: heartbeat + body + heartbeat + partial)
        let frames = try parseFrames(&buffer)
        #expect(frames == [.heartbeat, .body(channel: 1, ByteBuffer(bytes: ascii("hello"))), .heartbeat])
        #expect(buffer.bytes == partial)
        buffer.writeBytes(body.dropFirst(9))
        #expect(try parseFrames(&buffer) == [.body(channel: 1, ByteBuffer(bytes: ascii("hello")))])
        #expect(buffer.readableBytes == 0)
    }

    @Test("stops when the receiver says so and consumes only what it handed out")
    func stopsEarly() throws {
        var buffer = ByteBuffer(bytes: heartbeat + body + heartbeat)
        #expect(try parseFrames(&buffer, stopAfter: 2).count == 2)
        #expect(buffer.bytes == heartbeat)
    }

    @Test("a bad frame throws after the good ones before it were handed out, and stays at the front")
    func errorAfterGoodFrames() {
        let bad = rawFrame(type: 3, channel: 1, payload: ascii("x"), end: 0x00)
        var buffer = ByteBuffer(bytes: heartbeat + body + bad + heartbeat)
        var frames: [AMQPFrame] = []
        #expect(throws: AMQPProtocolError(.invalidFrameEnd(0x00), frameType: 3, channel: 1)) {
            try AMQPFrameParser().parseFrames(&buffer) { frame in
                frames.append(frame)
                return true
            }
        }
        #expect(frames.count == 2)
        #expect(buffer.bytes == bad + heartbeat)
    }

    @Test("gives the same frames as parsing one at a time, for every split of a stream")
    func sameAsOneAtATime() throws {
        var stream = ByteBuffer()
        try stream.writeAMQPMethodFrame(channel: 1, method: AMQP.Basic.Deliver(
            consumerTag: "ctag-1", deliveryTag: 1, redelivered: false, exchange: "", routingKey: "q"))
        try stream.writeAMQPContent(
            channel: 1, properties: AMQP.BasicProperties(contentType: "text/plain", headers: ["h": .int64(1)]),
            body: ByteBuffer(bytes: ascii("payload")), frameMax: 4096
        )
        stream.writeBytes(heartbeat)
        var whole = stream
        let expected = try parseAll(&whole, parser: AMQPFrameParser())
        #expect(expected.count == 4)
        for split in 0...stream.readableBytes {
            var first = stream.getSlice(at: stream.readerIndex, length: split)!
            var frames = try parseFrames(&first)
            var rest = first
            rest.writeImmutableBuffer(stream.getSlice(at: stream.readerIndex + split, length: stream.readableBytes - split)!)
            frames += try parseFrames(&rest)
            #expect(frames == expected, "split at \(split)")
            #expect(rest.readableBytes == 0)
        }
    }
}
