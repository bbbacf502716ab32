import AMQPProtocol
import NIOCore
import Testing

/// `writeAMQPContent`: a header frame, then the body in frames of at most frameMax - 8 bytes.
@Suite("Content splitting")
struct ContentSplittingTests {
    /// Writes a message, parses it back, and returns the frames and the size of each frame on the wire.
    func split(bodySize: Int, frameMax: Int, channel: UInt16 = 5) throws -> (frames: [AMQPFrame], wireSizes: [Int], body: ByteBuffer) {
        let body = ByteBuffer(bytes: (0..<bodySize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        var buffer = ByteBuffer()
        try buffer.writeAMQPContent(channel: channel, properties: AMQP.BasicProperties(contentType: "application/octet-stream"), body: body, frameMax: frameMax)
        // Every frame's size field, walking the stream by hand.
        var sizes: [Int] = []
        var offset = 0
        while offset < buffer.readableBytes, let size = buffer.getInteger(at: offset + 3, as: UInt32.self) {
            sizes.append(Int(size) + 8)
            offset += Int(size) + 8
        }
        #expect(offset == buffer.readableBytes)
        let parser = AMQPFrameParser(maxFrameSize: frameMax == 0 ? 1 << 24 : max(frameMax, 4096))
        let frames = try parseAll(&buffer, parser: parser)
        #expect(buffer.readableBytes == 0)
        return (frames, sizes, body)
    }

    /// The bodies of the body frames in `frames`, checking each is on `channel`.
    func bodies(_ frames: [AMQPFrame], channel: UInt16 = 5) -> [ByteBuffer] {
        frames.compactMap {
            guard case .body(let frameChannel, let bytes) = $0 else { return nil }
            #expect(frameChannel == channel)
            return bytes
        }
    }

    @Test("body sizes around multiples of frameMax - 8", arguments: [
        // (body size, body frame payload sizes) for frameMax 4096, so 4088 bytes per body frame.
        (0, []),
        (1, [1]),
        (4087, [4087]),
        (4088, [4088]),
        (4089, [4088, 1]),
        (2 * 4088, [4088, 4088]),
        (3 * 4088, [4088, 4088, 4088]),
        (3 * 4088 + 1, [4088, 4088, 4088, 1]),
        (100_000, Array(repeating: 4088, count: 24) + [100_000 - 24 * 4088]),
    ] as [(Int, [Int])])
    func splitting(bodySize: Int, payloads: [Int]) throws {
        let (frames, sizes, body) = try split(bodySize: bodySize, frameMax: 4096)
        #expect(frames.count == 1 + payloads.count)
        guard case .header(5, let header)? = frames.first else {
            Issue.record("the first frame is not a header on channel 5: \(String(describing: frames.first))")
            return
        }
        #expect(header.bodySize == UInt64(bodySize))
        #expect(header.properties.contentType == "application/octet-stream")
        let parts = bodies(frames)
        #expect(parts.map(\.readableBytes) == payloads)
        #expect(sizes.allSatisfy { $0 <= 4096 })
        #expect(Array(sizes.dropFirst()) == payloads.map { $0 + 8 })
        var joined = ByteBuffer()
        for var part in parts {
            joined.writeBuffer(&part)
        }
        #expect(joined == body)
    }

    @Test("small frameMax values, and frameMax 0 (no limit) sends one body frame")
    func otherFrameMax() throws {
        let small = try split(bodySize: 50, frameMax: 100)  // 92 bytes per frame
        #expect(bodies(small.frames).map(\.readableBytes) == [50])
        let tiny = try split(bodySize: 50, frameMax: 9)  // 1 byte per frame
        #expect(bodies(tiny.frames).map(\.readableBytes) == Array(repeating: 1, count: 50))
        #expect(tiny.wireSizes.dropFirst().allSatisfy { $0 == 9 })
        let unlimited = try split(bodySize: 200_000, frameMax: 0)
        #expect(bodies(unlimited.frames).map(\.readableBytes) == [200_000])
        let empty = try split(bodySize: 0, frameMax: 0)
        #expect(empty.frames.count == 1)
    }

    @Test("decoded body frames are slices of the received bytes, not copies")
    func bodiesAreSlices() throws {
        var buffer = ByteBuffer()
        let body = ByteBuffer(repeating: 0x42, count: 10_000)
        try buffer.writeAMQPContent(channel: 1, properties: AMQP.BasicProperties(), body: body, frameMax: 4096)
        let received = buffer
        let frames = try parseAll(&buffer, parser: AMQPFrameParser())
        let parts = bodies(frames, channel: 1)
        #expect(parts.map(\.readableBytes) == [4088, 4088, 1824])
        received.withUnsafeReadableBytes { whole in
            let start = UInt(bitPattern: whole.baseAddress)
            let end = start + UInt(whole.count)
            for part in parts {
                part.withUnsafeReadableBytes { slice in
                    let address = UInt(bitPattern: slice.baseAddress)
                    #expect(address >= start && address + UInt(slice.count) <= end, "a body frame was copied")
                }
            }
        }
        #expect(parts.allSatisfy { $0.readableBytesView.allSatisfy { $0 == 0x42 } })
    }

    @Test("a whole message in one write: the same frames as the method and its content written apart")
    func wholeMessage() throws {
        let publish = AMQP.Basic.Publish(exchange: "x", routingKey: "k", mandatory: true, immediate: false)
        let properties = AMQP.BasicProperties(contentType: "text/plain", headers: ["h": .string("v")], deliveryMode: 2)
        for size in [0, 1, 4088, 4089, 10_000] {
            let body = ByteBuffer(repeating: 0x5A, count: size)
            var apart = ByteBuffer()
            try apart.writeAMQPMethodFrame(channel: 3, method: publish)
            try apart.writeAMQPContent(channel: 3, properties: properties, body: body, frameMax: 4096)
            var together = ByteBuffer()
            try together.writeAMQPMessage(channel: 3, method: publish, properties: properties, body: body, frameMax: 4096)
            #expect(together == apart, "body of \(size) bytes")
        }
    }

    @Test("a message whose properties cannot be encoded writes nothing, not even its method frame")
    func wholeMessageOrNothing() {
        let publish = AMQP.Basic.Publish(exchange: "", routingKey: "k", mandatory: false, immediate: false)
        let properties = AMQP.BasicProperties(messageId: String(repeating: "m", count: 256))
        var buffer = ByteBuffer(bytes: [1, 2, 3])
        #expect(throws: AMQPProtocolError(.shortStringTooLong(length: 256))) {
            try buffer.writeAMQPMessage(channel: 1, method: publish, properties: properties, body: ByteBuffer(bytes: [9]), frameMax: 4096)
        }
        #expect(buffer.bytes == [1, 2, 3])
    }
}
