import AMQPProtocol
import NIOCore
import NIOEmbedded
import Testing

@testable import Hare

/// The handler remembers the channel it routed the last frame to (frames come in runs for one
/// channel). A channel closed or replaced since must never receive what follows.
@Suite("AMQPConnectionHandler: routing frames to channels")
struct HandlerRoutingTests {
    /// Opens channel `number` (by default the next free one) with `delegate` consuming as `tag`.
    func openConsuming(
        _ broker: ScriptedBroker, number: UInt16? = nil, delegate: RecordingChannelDelegate, tag: String, noAck: Bool = false
    ) throws -> UInt16 {
        var opened: Result<UInt16, any Error>?
        broker.handler.openChannel(number: number, delegate: delegate) { opened = $0 }
        let open = try #require(try broker.readMethods().first)
        try broker.send(.channelOpenOk(AMQP.Channel.OpenOk()), channel: open.channel)
        let number = try #require(try opened?.get())
        broker.handler.rpc(.basicConsume(AMQP.Basic.Consume(queue: "q", consumerTag: tag, noAck: noAck)), channel: number) { _ in }
        _ = try broker.readMethods()
        try broker.send(.method(channel: number, .basicConsumeOk(AMQP.Basic.ConsumeOk(consumerTag: tag))))
        return number
    }

    /// An open connection with a channel consuming as `ctag-1`.
    func consumingChannel() throws -> (ScriptedBroker, RecordingChannelDelegate, UInt16) {
        let broker = ScriptedBroker()
        try broker.open()
        let delegate = RecordingChannelDelegate()
        return (broker, delegate, try openConsuming(broker, delegate: delegate, tag: "ctag-1"))
    }

    /// A delivery's frames (method, header, body) on `channel`.
    func deliveryFrames(channel: UInt16, tag: String, deliveryTag: UInt64, body: String) -> [AMQPFrame] {
        [
            .method(channel: channel, .basicDeliver(AMQP.Basic.Deliver(consumerTag: tag, deliveryTag: deliveryTag, exchange: "", routingKey: "q"))),
            .header(channel: channel, AMQPContentHeader(bodySize: UInt64(body.utf8.count), properties: AMQP.BasicProperties())),
            .body(channel: channel, ByteBuffer(string: body)),
        ]
    }

    /// Sends `frames` to the handler as one read.
    func sendRead(_ broker: ScriptedBroker, _ frames: [AMQPFrame]) throws {
        var read = ByteBuffer()
        for frame in frames { try read.writeAMQPFrame(frame) }
        try broker.sendBytes(read)
    }

    /// A whole delivery (method, header, body) on `channel`, as one read.
    func deliver(_ broker: ScriptedBroker, channel: UInt16, tag: String, deliveryTag: UInt64, body: String) throws {
        try sendRead(broker, deliveryFrames(channel: channel, tag: tag, deliveryTag: deliveryTag, body: body))
    }

    /// Makes `delegate` answer each delivery with a publish of "pong" from its callback, and
    /// returns a read holding one delivery of "ping" on channel `number`.
    func answeringWithPong(_ broker: ScriptedBroker, _ delegate: RecordingChannelDelegate, _ number: UInt16) throws -> ByteBuffer {
        delegate.onDeliver = { [handler = broker.handler] _ in
            let reply = PublishRequest(
                exchange: "", routingKey: "replies", mandatory: false, immediate: false,
                properties: AMQP.BasicProperties(), body: ByteBuffer(string: "pong"), sequenceNumber: nil
            )
            _ = try? handler.publish(reply, channel: number)
        }
        var read = ByteBuffer()
        for frame in deliveryFrames(channel: number, tag: "ctag-1", deliveryTag: 1, body: "ping") { try read.writeAMQPFrame(frame) }
        return read
    }

    /// The bodies of the messages the handler has handed to the socket so far, without running
    /// the loop.
    func writtenBodies(_ broker: ScriptedBroker) throws -> [String] {
        var written = ByteBuffer()
        while let bytes = try broker.channel.readOutbound(as: ByteBuffer.self) { written.writeImmutableBuffer(bytes) }
        let parser = AMQPFrameParser(maxFrameSize: 4096)
        var bodies: [String] = []
        while let frame = try parser.parse(&written) {
            if case .body(_, let body) = frame { bodies.append(String(buffer: body)) }
        }
        return bodies
    }

    /// A socket error in the middle of a read.
    struct ConnectionReset: Error {}

    struct NotAConnectionClose: Error {
        var written: [String]
    }

    /// The connection.close the handler sent, which must be the first method it wrote.
    func sentConnectionClose(_ broker: ScriptedBroker) throws -> AMQP.Connection.Close {
        let methods = try broker.readMethods()
        guard case .connectionClose(let close)? = methods.first?.method else {
            throw NotAConnectionClose(written: methods.map(\.method.name))
        }
        return close
    }

    /// An open connection with a channel that consumed as `ctag-1`, got one delivery (so the
    /// handler remembers it as the last routed) and was then closed by the broker.
    func channelClosedAfterADelivery() throws -> (ScriptedBroker, RecordingChannelDelegate, UInt16) {
        let (broker, delegate, number) = try consumingChannel()
        try deliver(broker, channel: number, tag: "ctag-1", deliveryTag: 1, body: "to the first")
        try #require(delegate.deliveries.count == 1)
        try broker.send(.channelClose(AMQP.Channel.Close(replyCode: 406, replyText: "PRECONDITION_FAILED")), channel: number)
        #expect(try broker.readMethods().map(\.method.name) == ["channel.close-ok"])
        return (broker, delegate, number)
    }

    @Test("a channel the broker closed gets no more frames: the next one is 504 CHANNEL_ERROR")
    func closedChannelIsForgotten() throws {
        let (broker, delegate, number) = try channelClosedAfterADelivery()
        try deliver(broker, channel: number, tag: "ctag-1", deliveryTag: 2, body: "late")

        #expect(delegate.deliveries.count == 1)
        let close = try sentConnectionClose(broker)
        #expect(close.replyCode == 504)
        #expect(close.replyText.contains("channel \(number)"))
    }

    @Test("a channel number reused after a close routes to the new channel, not the old one")
    func reusedNumberRoutesToNewChannel() throws {
        let (broker, first, number) = try channelClosedAfterADelivery()
        let second = RecordingChannelDelegate()
        let reused = try openConsuming(broker, number: number, delegate: second, tag: "ctag-2")
        try #require(reused == number)
        try deliver(broker, channel: number, tag: "ctag-2", deliveryTag: 1, body: "to the second")

        #expect(first.deliveries.map { String(buffer: $0.body) } == ["to the first"])
        #expect(second.deliveries.map { String(buffer: $0.body) } == ["to the second"])
        #expect(broker.handler.machine.isOpen)
    }

    @Test("a publish on a channel number reused after a close goes to the new channel, not to the one the last request went to")
    func reusedNumberTakesRequests() throws {
        let (broker, _, number) = try consumingChannel()
        func request(_ body: String) -> PublishRequest {
            PublishRequest(
                exchange: "", routingKey: "q", mandatory: false, immediate: false, properties: AMQP.BasicProperties(),
                body: ByteBuffer(string: body), sequenceNumber: nil
            )
        }
        _ = try broker.handler.publish(request("to the first"), channel: number)  // remembered as the last requested
        try broker.send(.channelClose(AMQP.Channel.Close(replyCode: 406, replyText: "PRECONDITION_FAILED")), channel: number)
        #expect(try broker.readMethods().map(\.method.name) == ["basic.publish", "channel.close-ok"])
        #expect(throws: ChannelWrongStateError.self, "the closed channel takes no publish") {
            _ = try broker.handler.publish(request("to nobody"), channel: number)
        }

        let reused = try openConsuming(broker, number: number, delegate: RecordingChannelDelegate(), tag: "ctag-2")
        try #require(reused == number)
        _ = try broker.handler.publish(request("to the second"), channel: number)
        let frames = try broker.readFrames()
        #expect(frames.compactMap { frame -> String? in
            guard case .body(let channel, let body) = frame, channel == number else { return nil }
            return String(buffer: body)
        } == ["to the second"])
        #expect(broker.handler.machine.isOpen)
    }

    @Test("frames alternating between two channels each reach their own channel")
    func interleavedChannels() throws {
        let broker = ScriptedBroker()
        try broker.open()
        let one = RecordingChannelDelegate()
        let two = RecordingChannelDelegate()
        let first = try openConsuming(broker, delegate: one, tag: "ctag-1")
        let second = try openConsuming(broker, delegate: two, tag: "ctag-2")
        // Method, header and body of two messages, interleaved frame by frame, in one read.
        try broker.send(
            .method(channel: first, .basicDeliver(AMQP.Basic.Deliver(consumerTag: "ctag-1", deliveryTag: 1, exchange: "", routingKey: "q"))),
            .method(channel: second, .basicDeliver(AMQP.Basic.Deliver(consumerTag: "ctag-2", deliveryTag: 1, exchange: "", routingKey: "q"))),
            .header(channel: first, AMQPContentHeader(bodySize: 3, properties: AMQP.BasicProperties())),
            .header(channel: second, AMQPContentHeader(bodySize: 3, properties: AMQP.BasicProperties())),
            .body(channel: second, ByteBuffer(string: "two")),
            .body(channel: first, ByteBuffer(string: "one"))
        )
        #expect(one.deliveries.map { String(buffer: $0.body) } == ["one"])
        #expect(two.deliveries.map { String(buffer: $0.body) } == ["two"])
    }

    @Test("afterRouting runs once the whole read is routed, at once outside a read, and runs what it adds")
    func afterRoutingWaitsForTheRead() throws {
        let (broker, delegate, number) = try consumingChannel()
        var ranAfter: [Int] = []
        delegate.onDeliver = { [handler = broker.handler] _ in
            handler.afterRouting { ranAfter.append(delegate.deliveries.count) }
        }
        try sendRead(broker, (UInt64(1)...3).flatMap { deliveryFrames(channel: number, tag: "ctag-1", deliveryTag: $0, body: "\($0)") })
        #expect(ranAfter == [3, 3, 3])

        try deliver(broker, channel: number, tag: "ctag-1", deliveryTag: 4, body: "4")
        #expect(ranAfter == [3, 3, 3, 4])

        var order: [String] = []
        broker.handler.afterRouting {
            order.append("outside a read")
        }
        #expect(order == ["outside a read"])

        delegate.onDeliver = { [handler = broker.handler] _ in
            handler.afterRouting {
                order.append("first")
                handler.afterRouting { order.append("added by the first") }
            }
        }
        try deliver(broker, channel: number, tag: "ctag-1", deliveryTag: 5, body: "5")
        #expect(order == ["outside a read", "first", "added by the first"])
    }

    @Test("a whole delivery while a message is half received closes the connection with 505, as its frames would")
    func wholeDeliveryMidMessage() throws {
        let (broker, delegate, number) = try consumingChannel()
        // A delivery's method frame alone, then a whole delivery in the next read.
        try broker.send(.method(channel: number, .basicDeliver(AMQP.Basic.Deliver(consumerTag: "ctag-1", deliveryTag: 1, exchange: "", routingKey: "q"))))
        try deliver(broker, channel: number, tag: "ctag-1", deliveryTag: 2, body: "second")

        #expect(delegate.deliveries.isEmpty)
        let close = try sentConnectionClose(broker)
        #expect(close.replyCode == 505)
        #expect(close.replyText.contains("middle of a message"))
    }

    @Test("whole deliveries to a channel the client is closing are dropped, and its close completes")
    func wholeDeliveriesWhileClosing() throws {
        let (broker, delegate, number) = try consumingChannel()
        var closed: Result<Void, any Error>?
        broker.handler.closeChannel(number, replyCode: 200, replyText: "done") { closed = $0.map { _ in } }
        #expect(try broker.readMethods().map(\.method.name) == ["channel.close"])

        let late = (UInt64(1)...2).flatMap { deliveryFrames(channel: number, tag: "ctag-1", deliveryTag: $0, body: "late") }
        try sendRead(broker, late + [.method(channel: number, .channelCloseOk(AMQP.Channel.CloseOk()))])

        #expect(delegate.deliveries.isEmpty)
        #expect(throws: Never.self) { try closed?.get() }
        #expect(closed != nil)
        #expect(delegate.closes.count == 1)
        #expect(broker.handler.machine.isOpen)
    }

    @Test(
        "a whole delivery for a consumer cancelled without waiting is requeued (manual acks) or dropped (auto-ack); one for a consumer never known is dropped",
        arguments: [false, true]
    )
    func wholeDeliveriesWithoutConsumer(noAck: Bool) throws {
        let broker = ScriptedBroker()
        try broker.open()
        let delegate = RecordingChannelDelegate()
        let number = try openConsuming(broker, delegate: delegate, tag: "gone", noAck: noAck)
        try broker.handler.send(.basicCancel(AMQP.Basic.Cancel(consumerTag: "gone", noWait: true)), channel: number)
        #expect(try broker.readMethods().map(\.method.name) == ["basic.cancel"])

        try sendRead(broker, deliveryFrames(channel: number, tag: "gone", deliveryTag: 7, body: "late"))
        let written = try broker.readMethods()
        if noAck {
            #expect(written.isEmpty)
        } else if case .basicReject(let reject)? = written.first?.method, written.count == 1 {
            #expect(reject.deliveryTag == 7)
            #expect(reject.requeue)
        } else {
            Issue.record("expected one basic.reject, got \(written.map(\.method.name))")
        }

        try sendRead(broker, deliveryFrames(channel: number, tag: "nobody", deliveryTag: 8, body: "stray"))
        #expect(try broker.readMethods().isEmpty)
        #expect(delegate.deliveries.isEmpty)
        #expect(broker.handler.machine.isOpen)
    }

    @Test("a publish from a delivery's callback leaves with the read's end, with no task on the loop")
    func replyLeavesWithTheRead() throws {
        let (broker, delegate, number) = try consumingChannel()
        let read = try answeringWithPong(broker, delegate, number)
        let tasksBefore = broker.handler.flushTasks
        // The read and its end, as the socket channel fires them, without running the loop.
        try broker.channel.writeInbound(read)

        #expect(delegate.deliveries.count == 1)
        #expect(broker.handler.flushTasks == tasksBefore)
        #expect(try writtenBodies(broker) == ["pong"])
    }

    @Test("a reply written inside a read that fails instead of completing goes out with the shutdown")
    func replyInsideAFailedRead() throws {
        let (broker, delegate, number) = try consumingChannel()
        let read = try answeringWithPong(broker, delegate, number)
        // A read, then the socket's error instead of the read's end.
        broker.channel.pipeline.fireChannelRead(read)
        #expect(delegate.deliveries.count == 1)
        broker.channel.pipeline.fireErrorCaught(ConnectionReset())

        #expect(try writtenBodies(broker) == ["pong"])
    }
}
