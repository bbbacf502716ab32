import AMQPProtocol
import NIOCore
import NIOEmbedded
import Testing

@testable import Hare

/// Frames split across reads at every kind of boundary reach the channel whole, in order, and
/// the bodies already delivered keep their bytes while later reads arrive.
@Suite("AMQPConnectionHandler: frames split across reads")
struct HandlerChunkedReadTests {
    /// An open connection with channel 1 consuming as `ctag-1`.
    func consuming() throws -> (ScriptedBroker, RecordingChannelDelegate) {
        let broker = ScriptedBroker()
        try broker.open()
        let delegate = RecordingChannelDelegate()
        broker.handler.openChannel(number: nil, delegate: delegate) { _ in }
        _ = try broker.readMethods()
        try broker.send(.channelOpenOk(AMQP.Channel.OpenOk()), channel: 1)
        broker.handler.rpc(.basicConsume(AMQP.Basic.Consume(queue: "q", consumerTag: "ctag-1")), channel: 1) { _ in }
        _ = try broker.readMethods()
        try broker.send(.method(channel: 1, .basicConsumeOk(AMQP.Basic.ConsumeOk(consumerTag: "ctag-1"))))
        return (broker, delegate)
    }

    /// Deliveries `1...count`, body `i` of `size(i)` bytes of the letter for `i`.
    func deliveries(_ count: Int, size: (Int) -> Int) throws -> (ByteBuffer, [String]) {
        var wire = ByteBuffer()
        var bodies: [String] = []
        for index in 1...count {
            let body = String(repeating: Character(UnicodeScalar(UInt8(97 + index % 26))), count: size(index))
            bodies.append(body)
            try wire.writeAMQPFrame(.method(channel: 1, .basicDeliver(AMQP.Basic.Deliver(
                consumerTag: "ctag-1", deliveryTag: UInt64(index), exchange: "", routingKey: "q"))))
            try wire.writeAMQPContent(channel: 1, properties: AMQP.BasicProperties(), body: ByteBuffer(string: body), frameMax: 131_072)
        }
        return (wire, bodies)
    }

    @Test("chunks of 1, 7, 1000 and 40,000 bytes", arguments: [1, 7, 1000, 40_000])
    func chunked(chunk: Int) throws {
        let (broker, delegate) = try consuming()
        // Small bodies and one of 100 KB (one frame larger than any chunk).
        let (wire, bodies) = try deliveries(6) { $0 == 3 ? 100_000 : $0 * 10 }
        var rest = wire
        while rest.readableBytes > 0 {
            let piece = rest.readSlice(length: Swift.min(chunk, rest.readableBytes))!
            try broker.sendBytes(piece)
        }
        try #require(delegate.deliveries.count == bodies.count)
        for (delivered, body) in zip(delegate.deliveries, bodies) {
            #expect(String(buffer: delivered.body) == body)
        }
        #expect(delegate.deliveries.compactMap(\.deliver?.deliveryTag) == Array(1...6))
        #expect(broker.handler.machine.isOpen)
    }

    @Test("uneven chunks split frame headers and payloads at many offsets", arguments: [[3, 11, 250], [5, 4099, 2], [8, 1, 16_000]])
    func unevenChunks(pattern: [Int]) throws {
        let (broker, delegate) = try consuming()
        let (wire, bodies) = try deliveries(12) { $0 == 5 ? 20_000 : $0 * 7 }
        var rest = wire
        var turn = 0
        while rest.readableBytes > 0 {
            let piece = rest.readSlice(length: Swift.min(pattern[turn % pattern.count], rest.readableBytes))!
            try broker.sendBytes(piece)
            turn += 1
        }
        try #require(delegate.deliveries.count == bodies.count)
        for (delivered, body) in zip(delegate.deliveries, bodies) {
            #expect(String(buffer: delivered.body) == body)
        }
        #expect(broker.handler.machine.isOpen)
    }

    @Test("a read that completes a split frame hands out the frames after it from its own memory")
    func restOfTheReadIsNotCopied() throws {
        let (broker, delegate) = try consuming()
        let (wire, bodies) = try deliveries(3) { _ in 64 }
        // The first read ends inside the first message's body frame; the second brings the rest.
        let cut = wire.readableBytes / 3 - 10
        try broker.sendBytes(wire.getSlice(at: wire.readerIndex, length: cut)!)
        let second = wire.getSlice(at: wire.readerIndex + cut, length: wire.readableBytes - cut)!
        try broker.sendBytes(second)
        try #require(delegate.deliveries.count == 3)
        #expect(delegate.deliveries.map { String(buffer: $0.body) } == bodies)
        let last = try #require(delegate.deliveries.last?.body)
        second.withUnsafeReadableBytes { read in
            last.withUnsafeReadableBytes { body in
                let start = UInt(bitPattern: read.baseAddress)
                let address = UInt(bitPattern: body.baseAddress)
                #expect(address >= start && address + UInt(body.count) <= start + UInt(read.count), "the last body was copied")
            }
        }
    }

    /// Deliveries 1, 2 and 3 (64-byte bodies) as three separate wire messages.
    func messages() throws -> [ByteBuffer] {
        try (1...3).map { tag in
            var wire = ByteBuffer()
            try wire.writeAMQPFrame(.method(channel: 1, .basicDeliver(AMQP.Basic.Deliver(
                consumerTag: "ctag-1", deliveryTag: UInt64(tag), exchange: "", routingKey: "q"))))
            try wire.writeAMQPContent(
                channel: 1, properties: AMQP.BasicProperties(messageId: "m\(tag)"),
                body: ByteBuffer(string: String(repeating: "x", count: 64)), frameMax: 131_072
            )
            return wire
        }
    }

    @Test(
        "a read that re-enters the pipeline while a delivery is routed is taken after the rest of the read being routed",
        arguments: [(splitFirst: true, injectWhole: true), (true, false), (false, true), (false, false)]
    )
    func reentrantRead(splitFirst: Bool, injectWhole: Bool) throws {
        let (broker, delegate) = try consuming()
        let wire = try messages()
        // Injected during delivery 1: message 3 whole, or its first 20 bytes (the rest follows later).
        let injected = injectWhole ? wire[2] : wire[2].getSlice(at: wire[2].readerIndex, length: 20)!
        var fired = false
        delegate.onDeliver = { message in
            guard message.deliver?.deliveryTag == 1, !fired else { return }
            fired = true
            broker.channel.pipeline.fireChannelRead(injected)
        }
        // Message 1 then 2, either in one read or with message 1 split across two reads.
        var both = wire[0]
        both.writeImmutableBuffer(wire[1])
        if splitFirst {
            let cut = wire[0].readableBytes - 10
            try broker.sendBytes(both.getSlice(at: both.readerIndex, length: cut)!)
            try broker.sendBytes(both.getSlice(at: both.readerIndex + cut, length: both.readableBytes - cut)!)
        } else {
            try broker.sendBytes(both)
        }
        if !injectWhole {
            try broker.sendBytes(wire[2].getSlice(at: wire[2].readerIndex + 20, length: wire[2].readableBytes - 20)!)
        }
        #expect(fired)
        #expect(delegate.deliveries.compactMap(\.deliver?.deliveryTag) == [1, 2, 3])
        #expect(broker.handler.machine.isOpen)
    }
}
