import AMQPProtocol
import NIOCore
import Testing

/// `AMQP.BasicProperties` in every flag combination, and content header frames.
@Suite("Basic properties and content header round trips")
struct PropertiesRoundTripTests {
    /// Encodes and decodes `properties`; returns the decoded value, the flag word, the bytes left over.
    func roundTrip(_ properties: AMQP.BasicProperties) throws(AMQPProtocolError) -> (decoded: AMQP.BasicProperties, flags: UInt16?, leftover: Int) {
        var buffer = ByteBuffer()
        try properties.encode(into: &buffer)
        let flags = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self)
        let decoded = try AMQP.BasicProperties(from: &buffer)
        return (decoded, flags, buffer.readableBytes)
    }

    /// `full` with only the properties whose flag bits (0x8000 = content-type ... 0x0004 = reserved) are in `flags`.
    func subset(of full: AMQP.BasicProperties, flags: UInt16) -> AMQP.BasicProperties {
        func has(_ index: Int) -> Bool { flags & (0x8000 >> UInt16(index)) != 0 }
        return AMQP.BasicProperties(
            contentType: has(0) ? full.contentType : nil,
            contentEncoding: has(1) ? full.contentEncoding : nil,
            headers: has(2) ? full.headers : nil,
            deliveryMode: has(3) ? full.deliveryMode : nil,
            priority: has(4) ? full.priority : nil,
            correlationId: has(5) ? full.correlationId : nil,
            replyTo: has(6) ? full.replyTo : nil,
            expiration: has(7) ? full.expiration : nil,
            messageId: has(8) ? full.messageId : nil,
            timestamp: has(9) ? full.timestamp : nil,
            type: has(10) ? full.type : nil,
            userId: has(11) ? full.userId : nil,
            appId: has(12) ? full.appId : nil,
            reserved: has(13) ? full.reserved : nil
        )
    }

    @Test("no property: the flag word 0x0000 and nothing else")
    func none() throws {
        var buffer = ByteBuffer()
        try AMQP.BasicProperties().encode(into: &buffer)
        #expect(buffer.bytes == [0x00, 0x00])
        #expect(try AMQP.BasicProperties(from: &buffer) == AMQP.BasicProperties())
        #expect(buffer.readableBytes == 0)
    }

    @Test("every property set: flag word 0xFFFC, round trip")
    func all() throws {
        var generator = TestSeed.generator(for: #function)
        for _ in 0..<100 {
            let properties = AMQP.BasicProperties.arbitraryFull(using: &generator)
            let (decoded, flags, leftover) = try roundTrip(properties)
            #expect(decoded == properties, "\(TestSeed.replay)")
            #expect(flags == 0xFFFC)
            #expect(leftover == 0)
        }
    }

    @Test("each property alone sets exactly its own flag bit (15 for the first, down to 2)")
    func eachAlone() throws {
        var generator = TestSeed.generator(for: #function)
        for _ in 0..<20 {
            let alone = AMQP.BasicProperties.eachAlone(using: &generator)
            #expect(alone.count == 14)
            for (index, properties) in alone.enumerated() {
                let (decoded, flags, leftover) = try roundTrip(properties)
                #expect(decoded == properties, "property \(index), \(TestSeed.replay)")
                #expect(flags == 0x8000 >> UInt16(index), "property \(index)")
                #expect(leftover == 0)
            }
        }
    }

    @Test("all 2^14 combinations of properties round-trip with the right flag word")
    func everyCombination() throws {
        var generator = TestSeed.generator(for: #function)
        let full = AMQP.BasicProperties.arbitraryFull(using: &generator)
        for combination in 0..<(1 << 14) {
            let wanted = UInt16(combination) << 2
            let properties = subset(of: full, flags: wanted)
            let (decoded, flags, leftover) = try roundTrip(properties)
            if decoded != properties || flags != wanted || leftover != 0 {
                Issue.record("combination 0x\(String(wanted, radix: 16)) fails, \(TestSeed.replay)")
            }
        }
    }

    @Test("random properties round-trip")
    func random() throws {
        var generator = TestSeed.generator(for: #function)
        for _ in 0..<500 {
            let properties = AMQP.BasicProperties.arbitrary(using: &generator)
            let (decoded, _, leftover) = try roundTrip(properties)
            #expect(decoded == properties, "\(TestSeed.replay)")
            #expect(leftover == 0)
        }
    }

    @Test("content header frames round-trip through writeAMQPFrame and the parser")
    func headerFrames() throws {
        var generator = TestSeed.generator(for: #function)
        var samples = [AMQP.BasicProperties(), AMQP.BasicProperties.arbitraryFull(using: &generator)]
        samples += AMQP.BasicProperties.eachAlone(using: &generator)
        samples += (0..<200).map { _ in AMQP.BasicProperties.arbitrary(using: &generator) }
        var stream = ByteBuffer()
        var sent: [AMQPFrame] = []
        for properties in samples {
            let channel = UInt16.random(in: 1 ... .max, using: &generator)
            let bodySize = UInt64.random(in: 0...UInt64(AMQPLimits.defaultMaxBodySize), using: &generator)
            let frame = AMQPFrame.header(channel: channel, AMQPContentHeader(bodySize: bodySize, properties: properties))
            var one = ByteBuffer()
            try one.writeAMQPFrame(frame)
            #expect(one.getInteger(at: 0, as: UInt8.self) == 2)
            #expect(try roomyParser.parse(&one) == frame, "\(TestSeed.replay)")
            #expect(one.readableBytes == 0)
            try stream.writeAMQPFrame(frame)
            sent.append(frame)
        }
        #expect(try parseAll(&stream) == sent, "\(TestSeed.replay)")
        #expect(stream.readableBytes == 0)
    }

    @Test("the header frame of writeAMQPContent equals writeAMQPFrame(.header)")
    func contentHeaderMatchesFrameWriter() throws {
        var generator = TestSeed.generator(for: #function)
        for _ in 0..<50 {
            let properties = AMQP.BasicProperties.arbitrary(using: &generator)
            let body = ByteBuffer(repeating: 0x61, count: Int.random(in: 0...100, using: &generator))
            var content = ByteBuffer()
            try content.writeAMQPContent(channel: 9, properties: properties, body: body, frameMax: 1 << 20)
            var header = ByteBuffer()
            try header.writeAMQPFrame(.header(channel: 9, AMQPContentHeader(bodySize: UInt64(body.readableBytes), properties: properties)))
            #expect(content.getSlice(at: content.readerIndex, length: header.readableBytes) == header)
        }
    }
}
