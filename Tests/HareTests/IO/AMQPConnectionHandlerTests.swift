import AMQPProtocol
import NIOCore
import NIOEmbedded
import Testing

@testable import Hare

/// The NIO handler against a scripted broker: the bytes it writes for each step of the
/// handshake, the close in both directions, and the protocol errors it must catch.
@Suite("AMQPConnectionHandler against a scripted broker")
struct AMQPConnectionHandlerTests {
    @Test("the protocol header is written as soon as the channel is active")
    func protocolHeaderOnActive() throws {
        let broker = ScriptedBroker()
        #expect(try broker.unreadBytes == 0)
        try broker.connect()
        #expect(try broker.readProtocolHeader() == [0x41, 0x4D, 0x51, 0x50, 0, 0, 9, 1])
        #expect(try broker.unreadBytes == 0)
    }

    @Test("connection.start is answered with start-ok: PLAIN, the response, the locale, the client properties")
    func startOk() throws {
        let broker = ScriptedBroker()
        try broker.connect()
        _ = try broker.readProtocolHeader()
        try broker.send(ScriptedBroker.start())
        let methods = try broker.readMethods()
        try #require(methods.count == 1, "wrote \(methods.map(\.method.name))")
        #expect(methods[0].channel == 0)
        guard case .connectionStartOk(let startOk) = methods[0].method else {
            Issue.record("expected start-ok, got \(methods[0].method.name)")
            return
        }
        #expect(startOk.mechanism == "PLAIN")
        #expect(startOk.response == ScriptedBroker.plainResponse)
        #expect(startOk.locale == "en_US")
        #expect(startOk.clientProperties == ScriptedBroker.clientProperties)
        #expect(broker.handler.serverProperties["product"] == .string("ScriptedBroker"))
    }

    @Test("connection.tune is answered with tune-ok (negotiated) and then connection.open")
    func tuneOkAndOpen() throws {
        let broker = ScriptedBroker(virtualHost: "scripted-vhost", frameMax: 65_536, heartbeat: 30)
        try broker.connect()
        _ = try broker.readProtocolHeader()
        try broker.send(ScriptedBroker.start())
        _ = try broker.readMethods()
        try broker.send(ScriptedBroker.tune(channelMax: 100, frameMax: 131_072, heartbeat: 60))
        let methods = try broker.readMethods().map(\.method)
        try #require(methods.count == 2, "wrote \(methods.map(\.name))")
        guard case .connectionTuneOk(let tuneOk) = methods[0], case .connectionOpen(let open) = methods[1] else {
            Issue.record("expected tune-ok then open, got \(methods.map(\.name))")
            return
        }
        #expect(tuneOk == AMQP.Connection.TuneOk(channelMax: 100, frameMax: 65_536, heartbeat: 30))
        #expect(open.virtualHost == "scripted-vhost")
        #expect(broker.handler.limits == NegotiatedLimits(channelMax: 100, frameMax: 65_536, heartbeat: 30))
        #expect(broker.opened.isEmpty)
    }

    @Test("connection.open-ok raises the opened event with the negotiated limits")
    func openOk() throws {
        let broker = ScriptedBroker()
        try broker.connect()
        _ = try broker.readProtocolHeader()
        try broker.send(ScriptedBroker.start())
        try broker.send(ScriptedBroker.tune(channelMax: 2047, frameMax: 131_072, heartbeat: 0))
        _ = try broker.readMethods()
        #expect(broker.opened.isEmpty)
        try broker.send(.connectionOpenOk(AMQP.Connection.OpenOk()))
        #expect(broker.opened == [NegotiatedLimits(channelMax: 2047, frameMax: 131_072, heartbeat: 0)])
        #expect(broker.handler.machine.isOpen)
        #expect(broker.closed.isEmpty)
        #expect(try broker.unreadBytes == 0)
        #expect(broker.channel.isActive)
    }

    @Test("a broker close is answered with close-ok; the closed event carries ConnectionClosedByBroker")
    func brokerClose() throws {
        let broker = ScriptedBroker()
        try broker.open()
        try broker.send(.connectionClose(AMQP.Connection.Close(
            replyCode: 320, replyText: "CONNECTION_FORCED - scripted", classId: 0, methodId: 0
        )))
        let methods = try broker.readMethods()
        #expect(methods.map(\.method.name) == ["connection.close-ok"])
        #expect(methods.first?.channel == 0)
        try #require(broker.closed.count == 1)
        let error = try #require(broker.closed[0] as? ConnectionClosedByBroker, "closed with \(broker.closed[0])")
        #expect(error.replyCode == 320)
        #expect(error.replyText == "CONNECTION_FORCED - scripted")
        #expect(!broker.channel.isActive)
    }

    @Test("a client close writes connection.close and ends at close-ok with ConnectionClosedByClient")
    func clientClose() throws {
        let broker = ScriptedBroker()
        try broker.open()
        broker.handler.close(replyCode: 200, replyText: "bye")
        let methods = try broker.readMethods()
        guard case .connectionClose(let close)? = methods.first?.method else {
            Issue.record("expected connection.close, got \(methods.map(\.method.name))")
            return
        }
        #expect(close.replyCode == 200)
        #expect(close.replyText == "bye")
        #expect(broker.closed.isEmpty)
        try broker.send(.connectionCloseOk(AMQP.Connection.CloseOk()))
        try #require(broker.closed.count == 1)
        #expect((broker.closed[0] as? ConnectionClosedByClient)?.replyCode == 200)
        #expect(!broker.channel.isActive)
    }

    @Test("a frame on a channel that is not open: connection.close 504 CHANNEL_ERROR")
    func frameOnUnopenedChannel() throws {
        let broker = ScriptedBroker()
        try broker.open()
        try broker.send(.basicDeliver(AMQP.Basic.Deliver(consumerTag: "c", deliveryTag: 1, exchange: "", routingKey: "q")), channel: 7)
        let methods = try broker.readMethods()
        guard case .connectionClose(let close)? = methods.first?.method else {
            Issue.record("expected connection.close, got \(methods.map(\.method.name))")
            return
        }
        #expect(methods.first?.channel == 0)
        #expect(close.replyCode == 504)
        #expect(close.replyText.contains("channel 7"))
        // The connection waits for close-ok, then reports the violation.
        #expect(broker.closed.isEmpty)
        try broker.send(.connectionCloseOk(AMQP.Connection.CloseOk()))
        try #require(broker.closed.count == 1)
        #expect(broker.closed[0] is ProtocolViolationError, "closed with \(broker.closed[0])")
        #expect(!broker.channel.isActive)
    }

    @Test("a frame over the pre-tune limit of 4096 bytes: connection.close 501 and ProtocolViolationError")
    func oversizedFrameBeforeTune() throws {
        let broker = ScriptedBroker()
        try broker.connect()
        _ = try broker.readProtocolHeader()
        try broker.send(ScriptedBroker.start())
        _ = try broker.readMethods()
        // A method frame announcing 5000 payload bytes (whole frame 5008 > 4096).
        var frame = ByteBuffer()
        frame.writeInteger(AMQPFrame.FrameType.method)
        frame.writeInteger(UInt16(0))
        frame.writeInteger(UInt32(5000))
        frame.writeRepeatingByte(0, count: 5000)
        frame.writeInteger(AMQPFrame.FrameType.end)
        try broker.sendBytes(frame)

        let methods = try broker.readMethods()
        guard case .connectionClose(let close)? = methods.first?.method else {
            Issue.record("expected connection.close, got \(methods.map(\.method.name))")
            return
        }
        #expect(close.replyCode == 501)
        try #require(broker.closed.count == 1)
        let error = try #require(broker.closed[0] as? ProtocolViolationError, "closed with \(broker.closed[0])")
        #expect(error.decodingError?.kind == .frameTooLarge(size: 5008, limit: 4096))
        #expect(!broker.channel.isActive)
    }

    @Test("a protocol header in answer (another AMQP version): IncompatibleProtocolError")
    func protocolHeaderAnswer() throws {
        let broker = ScriptedBroker()
        try broker.connect()
        _ = try broker.readProtocolHeader()
        try broker.sendBytes(ByteBuffer(bytes: [0x41, 0x4D, 0x51, 0x50, 0, 1, 0, 0]))
        try #require(broker.closed.count == 1)
        #expect(broker.closed[0] is IncompatibleProtocolError, "closed with \(broker.closed[0])")
        #expect(try broker.readMethods().isEmpty)
        #expect(!broker.channel.isActive)
    }

    @Test("the stream closing after start-ok: ProbableAuthenticationError")
    func streamClosedAfterStartOk() throws {
        let broker = ScriptedBroker()
        try broker.connect()
        _ = try broker.readProtocolHeader()
        try broker.send(ScriptedBroker.start())
        _ = try broker.readMethods()
        broker.channel.pipeline.syncOperations.fireChannelInactive()
        try #require(broker.closed.count == 1)
        #expect(broker.closed[0] is ProbableAuthenticationError, "closed with \(broker.closed[0])")
    }

    @Test("openChannel, rpc and the reply; a delivery; a broker channel close: the round trip through the handler")
    func channelRoundTrip() throws {
        let broker = ScriptedBroker()
        try broker.open()
        let delegate = RecordingChannelDelegate()
        var openResult: Result<UInt16, any Error>?
        broker.handler.openChannel(number: nil, delegate: delegate) { openResult = $0 }
        let openMethods = try broker.readMethods()
        #expect(openMethods.map(\.channel) == [1])
        #expect(openMethods.map(\.method.name) == ["channel.open"])
        #expect(openResult == nil)
        try broker.send(.channelOpenOk(AMQP.Channel.OpenOk()), channel: 1)
        #expect(try openResult?.get() == 1)

        var reply: Result<ChannelReply, any Error>?
        broker.handler.rpc(.queueDeclare(AMQP.Queue.Declare(queue: "scripted", durable: true)), channel: 1) { reply = $0 }
        let declare = try broker.readMethods()
        guard declare.count == 1, case .queueDeclare(let sent) = declare[0].method else {
            Issue.record("expected queue.declare, got \(declare.map(\.method.name))")
            return
        }
        #expect(declare[0].channel == 1)
        #expect(sent.queue == "scripted")
        #expect(sent.durable)
        #expect(reply == nil)
        try broker.send(.queueDeclareOk(AMQP.Queue.DeclareOk(queue: "scripted", messageCount: 3, consumerCount: 0)), channel: 1)
        guard case .success(.method(.queueDeclareOk(let declareOk)))? = reply else {
            Issue.record("expected declare-ok, got \(String(describing: reply))")
            return
        }
        #expect(declareOk.messageCount == 3)

        // A consumer and a delivery (method, header and body in one read).
        var consumeReply: Result<ChannelReply, any Error>?
        broker.handler.rpc(.basicConsume(AMQP.Basic.Consume(queue: "scripted", consumerTag: "ctag-1")), channel: 1) {
            consumeReply = $0
        }
        #expect(try broker.readMethods().map(\.method.name) == ["basic.consume"])
        try broker.send(.method(channel: 1, .basicConsumeOk(AMQP.Basic.ConsumeOk(consumerTag: "ctag-1"))))
        #expect((try? consumeReply?.get()) != nil)
        try broker.send(
            .method(channel: 1, .basicDeliver(AMQP.Basic.Deliver(consumerTag: "ctag-1", deliveryTag: 9, exchange: "", routingKey: "scripted"))),
            .header(channel: 1, AMQPContentHeader(bodySize: 5, properties: AMQP.BasicProperties(contentType: "text/plain"))),
            .body(channel: 1, ByteBuffer(string: "hello"))
        )
        try #require(delegate.deliveries.count == 1)
        #expect(String(buffer: delegate.deliveries[0].body) == "hello")
        #expect(delegate.deliveries[0].properties.contentType == "text/plain")

        // The broker closes the channel: close-ok is written, the delegate learns why, the
        // connection stays open.
        try broker.send(.channelClose(AMQP.Channel.Close(replyCode: 406, replyText: "PRECONDITION_FAILED", classId: 50, methodId: 10)), channel: 1)
        let closeOk = try broker.readMethods()
        #expect(closeOk.map(\.method.name) == ["channel.close-ok"])
        #expect(closeOk.map(\.channel) == [1])
        try #require(delegate.closes.count == 1)
        let closed = try #require(delegate.closes[0] as? ChannelClosedByBroker)
        #expect(closed.replyCode == 406)
        #expect(broker.closed.isEmpty)
        #expect(broker.handler.machine.isOpen)

        // The channel is gone: a request on it fails at once, nothing is written.
        var late: Result<ChannelReply, any Error>?
        broker.handler.rpc(.queuePurge(AMQP.Queue.Purge(queue: "scripted")), channel: 1) { late = $0 }
        #expect(throws: ChannelWrongStateError.self) { try late?.get() }
        #expect(try broker.unreadBytes == 0)
    }
}
