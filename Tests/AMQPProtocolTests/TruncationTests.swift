import AMQPProtocol
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

/// Any prefix of a valid frame stream is "need more data", never an error.
@Suite("Truncated input asks for more")
struct TruncationTests {
    /// A stream of several frames of every type, with where each frame ends.
    static func sampleStream() throws -> (bytes: [UInt8], frames: [AMQPFrame], ends: [Int]) {
        let frames: [AMQPFrame] = [
            .method(channel: 0, .connectionStartOk(AMQP.Connection.StartOk(
                clientProperties: ["product": "Hare", "capabilities": ["basic.nack": true], "n": 7, "l": .int64(1 << 40)],
                mechanism: "PLAIN",
                response: ByteBuffer(bytes: [0] + ascii("guest") + [0] + ascii("guest")),
                locale: "en_US"
            ))),
            .method(channel: 1, .basicPublish(AMQP.Basic.Publish(exchange: "amq.topic", routingKey: "a.b", mandatory: true))),
            .header(channel: 1, AMQPContentHeader(bodySize: 10, properties: AMQP.BasicProperties(
                contentType: "application/json", headers: ["x-retry": 3, "trace": "abc"], deliveryMode: 2,
                timestamp: AMQPTimestamp(secondsSince1970: 1_700_000_000)
            ))),
            .body(channel: 1, ByteBuffer(bytes: ascii("0123"))),
            .body(channel: 1, ByteBuffer(bytes: ascii("456789"))),
            .heartbeat,
            .method(channel: 65535, .basicDeliver(AMQP.Basic.Deliver(consumerTag: "c", deliveryTag: 42, exchange: "e", routingKey: "r"))),
            .header(channel: 65535, AMQPContentHeader(bodySize: 0, properties: AMQP.BasicProperties())),
            .heartbeat,
        ]
        var buffer = ByteBuffer()
        var ends: [Int] = []
        for frame in frames {
            try buffer.writeAMQPFrame(frame)
            ends.append(buffer.readableBytes)
        }
        return (buffer.bytes, frames, ends)
    }

    @Test("every prefix gives the whole frames so far, then nil, and keeps the partial frame")
    func everyPrefix() throws {
        let (bytes, frames, ends) = try Self.sampleStream()
        for length in 0...bytes.count {
            // Put junk before the stream and skip it, so the parser must work from readerIndex, not 0.
            var buffer = ByteBuffer(bytes: [0xEE, 0xEE, 0xEE] + bytes[0..<length])
            buffer.moveReaderIndex(forwardBy: 3)
            let complete = ends.filter { $0 <= length }.count
            do {
                let parsed = try parseAll(&buffer, parser: AMQPFrameParser())
                #expect(parsed == Array(frames.prefix(complete)), "prefix \(length)")
                #expect(buffer.readerIndex == 3 + (complete == 0 ? 0 : ends[complete - 1]), "prefix \(length)")
                // Asking again still gives nil and consumes nothing.
                let before = buffer.readerIndex
                #expect(try AMQPFrameParser().parse(&buffer) == nil)
                #expect(buffer.readerIndex == before)
            } catch {
                Issue.record("prefix \(length) of \(bytes.count) threw \(error)")
            }
        }
    }

    @Test("every prefix of a stream of random methods asks for more")
    func everyPrefixOfRandomMethods() throws {
        var generator = TestSeed.generator(for: #function)
        var stream = ByteBuffer()
        var ends: [Int] = []
        for method in AMQP.Method.arbitraryInstances(using: &generator) {
            try stream.writeAMQPFrame(.method(channel: 3, method))
            ends.append(stream.readableBytes)
        }
        let bytes = stream.bytes
        for length in 0...bytes.count {
            var buffer = ByteBuffer(bytes: bytes[0..<length])
            do {
                let parsed = try parseAll(&buffer)
                let complete = ends.filter { $0 <= length }.count
                if parsed.count != complete {
                    Issue.record("prefix \(length): \(parsed.count) frames, expected \(complete), \(TestSeed.replay)")
                }
            } catch {
                Issue.record("prefix \(length) threw \(error), \(TestSeed.replay)")
            }
        }
    }

    @Test("each frame split at every point into two reads decodes the same")
    func everySplitPoint() throws {
        let (bytes, frames, _) = try Self.sampleStream()
        for split in 0...bytes.count {
            var buffer = ByteBuffer(bytes: bytes[0..<split])
            do {
                var parsed = try parseAll(&buffer, parser: AMQPFrameParser())
                buffer.writeBytes(bytes[split...])
                parsed += try parseAll(&buffer, parser: AMQPFrameParser())
                #expect(parsed == frames, "split at \(split)")
                #expect(buffer.readableBytes == 0)
            } catch {
                Issue.record("split at \(split) threw \(error)")
            }
        }
    }

    @Test("ByteToMessageDecoderVerifier: drip-fed, whole and batched input through AMQPFrameDecoder")
    func decoderVerifier() throws {
        let (_, frames, _) = try Self.sampleStream()
        var pairs: [(ByteBuffer, [AMQPFrame])] = []
        for frame in frames {
            var buffer = ByteBuffer()
            try buffer.writeAMQPFrame(frame)
            pairs.append((buffer, [frame]))
        }
        // Several frames in one input, too.
        var batch = ByteBuffer()
        for frame in frames.prefix(4) {
            try batch.writeAMQPFrame(frame)
        }
        pairs.append((batch, Array(frames.prefix(4))))
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { AMQPFrameDecoder() }
    }

    @Test("frames travel through the encoder and decoder handlers in an EmbeddedChannel")
    func embeddedChannel() throws {
        let (_, frames, _) = try Self.sampleStream()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(AMQPFrameDecoder()),
            MessageToByteHandler(AMQPFrameEncoder()),
        ])
        for frame in frames {
            try channel.writeOutbound(frame)
        }
        while let bytes = try channel.readOutbound(as: ByteBuffer.self) {
            // Feed the bytes back one at a time.
            for byte in bytes.readableBytesView {
                try channel.writeInbound(ByteBuffer(bytes: [byte]))
            }
        }
        var received: [AMQPFrame] = []
        while let frame = try channel.readInbound(as: AMQPFrame.self) {
            received.append(frame)
        }
        #expect(received == frames)
        _ = try channel.finish()
    }

    @Test("a decoder error surfaces through the pipeline as the typed error")
    func embeddedChannelError() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(AMQPFrameDecoder()))
        #expect(throws: AMQPProtocolError(.invalidFrameEnd(0x00), frameType: 8, channel: 0)) {
            try channel.writeInbound(ByteBuffer(bytes: [0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]))
        }
        _ = try? channel.finish()
    }
}
