import AMQPProtocol
import NIOCore
import NIOEmbedded
import Testing

@testable import Hare

/// How the handler writes: one write per loop turn for a burst of publishes, and heartbeats
/// sent and checked on the negotiated interval.
@Suite("Connection handler: writes and heartbeats")
struct HandlerWriteTests {
    @Test("a burst of publishes in one loop turn leaves in one write")
    func publishesAreCoalesced() throws {
        let broker = ScriptedBroker()
        try broker.openWithChannel()
        for index in 0..<100 {
            let request = PublishRequest(
                exchange: "", routingKey: "q", mandatory: false, immediate: false,
                properties: AMQP.BasicProperties(messageId: "\(index)"), body: ByteBuffer(string: "body \(index)"),
                sequenceNumber: nil
            )
            _ = try broker.handler.publish(request, channel: 1)
        }
        // Nothing is written before the loop turn ends.
        #expect(try broker.channel.readOutbound(as: ByteBuffer.self) == nil)
        broker.channel.embeddedEventLoop.run()
        let first = try #require(try broker.channel.readOutbound(as: ByteBuffer.self))
        #expect(try broker.channel.readOutbound(as: ByteBuffer.self) == nil, "the burst took more than one write")
        var bytes = first
        let parser = AMQPFrameParser(maxFrameSize: 131_072)
        var frames = 0
        var lastBody = ""
        while let frame = try parser.parse(&bytes) {
            frames += 1
            if case .body(_, let body) = frame { lastBody = String(buffer: body) }
        }
        #expect(frames == 300)
        #expect(lastBody == "body 99")
    }

    @Test("a heartbeat goes out when nothing was sent for half the interval; silence for two intervals ends the connection")
    func heartbeats() throws {
        let broker = ScriptedBroker(heartbeat: 2)
        try broker.connect()
        _ = try broker.readProtocolHeader()
        try broker.send(ScriptedBroker.start())
        _ = try broker.readMethods()
        try broker.send(ScriptedBroker.tune(heartbeat: 2))
        _ = try broker.readMethods()
        try broker.send(.connectionOpenOk(AMQP.Connection.OpenOk()))

        // The first half interval saw tune-ok and open go out: no heartbeat is due.
        broker.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try broker.readFrames().isEmpty)
        // The next second (half the interval) with nothing sent: a heartbeat frame.
        broker.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try broker.readFrames().contains { if case .heartbeat = $0 { true } else { false } })
        // The broker keeps talking: the connection lives on.
        for _ in 0..<6 {
            try broker.send(.heartbeat)
            broker.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        }
        #expect(broker.closed.isEmpty)
        // Then four seconds (two intervals) of silence: a dead peer.
        broker.channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        try #require(broker.closed.count == 1)
        let timeout = try #require(broker.closed[0] as? AMQPHeartbeatTimeout)
        #expect(timeout.interval == 2)
    }
}
