import AMQPProtocol
import NIOCore
import NIOEmbedded
import Testing

@testable import Hare

/// The handler encodes every frame into one outbound buffer and reuses that buffer's storage
/// for the next loop turn once the socket has taken the bytes. A write the socket still holds
/// must keep its bytes, and a buffer a burst grew must not stay that large.
@Suite("AMQPConnectionHandler: the outbound buffer")
struct HandlerOutboundBufferTests {
    /// Stands for a socket that takes every write at once: it notes where the written bytes
    /// lie, passes a copy on (for the scripted broker to read) and lets the handler's buffer go.
    final class TakingSocket: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        /// The address of the first byte of every write, in order.
        private(set) var addresses: [UInt] = []

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            let bytes = unwrapOutboundIn(data)
            addresses.append(bytes.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) })
            context.write(wrapOutboundOut(ByteBuffer(bytes: bytes.readableBytesView)), promise: promise)
        }
    }

    /// An open connection with channel 1 open, writing through a `TakingSocket`.
    func brokerWithTakingSocket() throws -> (ScriptedBroker, TakingSocket) {
        let broker = ScriptedBroker()
        try broker.openWithChannel()
        let socket = TakingSocket()
        try broker.channel.pipeline.syncOperations.addHandler(socket, position: .first)
        return (broker, socket)
    }

    func publish(_ broker: ScriptedBroker, _ body: ByteBuffer) throws {
        let request = PublishRequest(
            exchange: "", routingKey: "q", mandatory: false, immediate: false,
            properties: AMQP.BasicProperties(), body: body, sequenceNumber: nil
        )
        _ = try broker.handler.publish(request, channel: 1)
    }

    /// The bodies of the messages in `write`, in order.
    func bodies(in write: ByteBuffer) throws -> [String] {
        var bytes = write
        let parser = AMQPFrameParser(maxFrameSize: 131_072)
        var bodies: [String] = []
        while let frame = try parser.parse(&bytes) {
            if case .body(_, let body) = frame { bodies.append(String(buffer: body)) }
        }
        #expect(bytes.readableBytes == 0, "a write ended inside a frame")
        return bodies
    }

    @Test("a write the socket still holds keeps its bytes while the next turn's frames are encoded")
    func pendingWriteKeepsItsBytes() throws {
        let broker = ScriptedBroker()  // the embedded channel holds every write until it is read
        try broker.openWithChannel()
        try publish(broker, ByteBuffer(string: "first"))
        broker.channel.embeddedEventLoop.run()
        try publish(broker, ByteBuffer(string: "second"))
        broker.channel.embeddedEventLoop.run()

        let first = try #require(try broker.channel.readOutbound(as: ByteBuffer.self))
        let second = try #require(try broker.channel.readOutbound(as: ByteBuffer.self))
        #expect(try bodies(in: first) == ["first"])
        #expect(try bodies(in: second) == ["second"])
    }

    @Test("once the socket took a write, the next turn's frames go into the same storage")
    func takenWriteIsReused() throws {
        let (broker, socket) = try brokerWithTakingSocket()
        for body in ["one", "two", "three"] {
            try publish(broker, ByteBuffer(string: body))
            broker.channel.embeddedEventLoop.run()
        }

        #expect(socket.addresses.count == 3)
        #expect(Set(socket.addresses).count == 1, "a new buffer was allocated for a turn")
        var written: [String] = []
        while let write = try broker.channel.readOutbound(as: ByteBuffer.self) { written += try bodies(in: write) }
        #expect(written == ["one", "two", "three"])
    }

    @Test("a buffer a burst grew past 1 MiB is let go after its write")
    func grownBufferIsReleased() throws {
        let (broker, _) = try brokerWithTakingSocket()
        let large = ByteBuffer(repeating: UInt8(ascii: "x"), count: 512 * 1024)
        for _ in 0..<3 { try publish(broker, large) }
        #expect(broker.handler.outbound.capacity > AMQPConnectionHandler.outboundRecycleLimit)
        broker.channel.embeddedEventLoop.run()

        #expect(broker.handler.outbound.capacity == AMQPConnectionHandler.outboundInitialCapacity)
        var bodyBytes = 0
        while let write = try broker.channel.readOutbound(as: ByteBuffer.self) {
            bodyBytes += try bodies(in: write).reduce(0) { $0 + $1.utf8.count }
        }
        #expect(bodyBytes == 3 * large.readableBytes)
    }
}
