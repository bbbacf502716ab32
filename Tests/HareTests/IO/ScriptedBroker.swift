import AMQPProtocol
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import Hare

/// `AMQPConnectionHandler` in an `EmbeddedChannel`, with the test playing the broker: it feeds
/// the handler the broker's frames and decodes what the handler writes.
final class ScriptedBroker {
    let channel: EmbeddedChannel
    let handler: AMQPConnectionHandler
    /// What the handler wrote that was not read yet.
    private var written = ByteBuffer()
    private let parser = AMQPFrameParser(maxFrameSize: 1 << 24)

    /// Connection events the handler reported, in order.
    private(set) var opened: [NegotiatedLimits] = []
    private(set) var closed: [any AMQPConnectionError] = []
    private(set) var blocked: [String] = []

    static let plainResponse = ByteBuffer(bytes: [0] + Array("guest".utf8) + [0] + Array("guest".utf8))
    static let clientProperties: FieldTable = ["product": .string("Hare"), "connection_name": .string("scripted")]

    init(virtualHost: String = "/", frameMax: UInt32 = 131_072, heartbeat: UInt16? = 0) {
        let configuration = ConnectionConfiguration(
            virtualHost: virtualHost, locale: "en_US", clientProperties: Self.clientProperties, mechanism: "PLAIN",
            response: Self.plainResponse, channelMax: 2047, frameMax: frameMax, heartbeat: heartbeat, heartbeatCallback: nil
        )
        handler = AMQPConnectionHandler(
            configuration: configuration, maxBodySize: 1 << 20, blockedConnectionTimeout: nil, closeTimeout: 5,
            logger: Logger(label: "hare.tests.io") { _ in SwiftLogNoOpLogHandler() }
        )
        channel = EmbeddedChannel(handler: handler)
        handler.events.opened = { [unowned self] limits in opened.append(limits) }
        handler.events.closed = { [unowned self] error in closed.append(error) }
        handler.events.blocked = { [unowned self] reason in blocked.append(reason) }
    }

    /// Makes the channel active (the TCP connection is up) and runs the loop.
    func connect() throws {
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5672)).wait()
        channel.embeddedEventLoop.run()
    }

    // MARK: The broker's side

    /// Sends frames to the handler, as one read.
    func send(_ frames: AMQPFrame...) throws {
        var buffer = ByteBuffer()
        for frame in frames { try buffer.writeAMQPFrame(frame) }
        try sendBytes(buffer)
    }

    /// Sends a method on `channel`.
    func send(_ method: AMQP.Method, channel number: UInt16 = 0) throws {
        try send(.method(channel: number, method))
    }

    /// Sends raw bytes to the handler.
    func sendBytes(_ bytes: ByteBuffer) throws {
        try channel.writeInbound(bytes)
        channel.embeddedEventLoop.run()
    }

    // MARK: What the handler wrote

    private func collect() throws {
        channel.embeddedEventLoop.run()
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            written.writeImmutableBuffer(buffer)
        }
    }

    /// The protocol header, when it is what the handler wrote next.
    func readProtocolHeader() throws -> [UInt8]? {
        try collect()
        return written.readBytes(length: AMQPProtocolHeader.bytes.count)
    }

    /// The frames the handler wrote since the last read.
    func readFrames() throws -> [AMQPFrame] {
        try collect()
        var frames: [AMQPFrame] = []
        while let frame = try parser.parse(&written) {
            frames.append(frame)
        }
        return frames
    }

    /// The methods the handler wrote since the last read, as (channel, method).
    func readMethods() throws -> [(channel: UInt16, method: AMQP.Method)] {
        try readFrames().compactMap { frame in
            guard case .method(let channel, let method) = frame else { return nil }
            return (channel, method)
        }
    }

    /// How many bytes the handler wrote that were not read yet.
    var unreadBytes: Int {
        get throws {
            try collect()
            return written.readableBytes
        }
    }

    // MARK: Scripted steps

    static func start(mechanisms: String = "PLAIN AMQPLAIN") -> AMQP.Method {
        .connectionStart(AMQP.Connection.Start(
            versionMajor: 0, versionMinor: 9, serverProperties: ["product": .string("ScriptedBroker")],
            mechanisms: ByteBuffer(string: mechanisms), locales: ByteBuffer(string: "en_US")
        ))
    }

    static func tune(channelMax: UInt16 = 2047, frameMax: UInt32 = 131_072, heartbeat: UInt16 = 0) -> AMQP.Method {
        .connectionTune(AMQP.Connection.Tune(channelMax: channelMax, frameMax: frameMax, heartbeat: heartbeat))
    }

    /// Runs the handshake to an open connection, checking nothing (the handshake tests do).
    func open() throws {
        try connect()
        _ = try readProtocolHeader()
        try send(Self.start())
        try send(Self.tune())
        try send(.connectionOpenOk(AMQP.Connection.OpenOk()))
        _ = try readFrames()
    }

    /// Runs the handshake and opens channel `number`, whose delegate hears nothing afterwards.
    func openWithChannel(_ number: UInt16 = 1) throws {
        try open()
        let delegate = RecordingChannelDelegate()
        handler.openChannel(number: number, delegate: delegate) { _ in }
        withExtendedLifetime(delegate) {}
        _ = try readMethods()
        try send(.channelOpenOk(AMQP.Channel.OpenOk()), channel: number)
    }
}

/// A channel delegate that records what the handler tells the channel.
final class RecordingChannelDelegate: ChannelDelegate {
    private(set) var deliveries: [ContentMessage] = []
    private(set) var returns: [ContentMessage] = []
    private(set) var confirms: [ConfirmEvent] = []
    private(set) var cancelled: [String] = []
    private(set) var flows: [Bool] = []
    private(set) var closes: [any Error] = []
    /// Called after each delivery is recorded.
    var onDeliver: (ContentMessage) -> Void = { _ in }

    func channel(_ number: UInt16, didDeliver message: ContentMessage) {
        deliveries.append(message)
        onDeliver(message)
    }
    func channel(_ number: UInt16, didReturn message: ContentMessage) { returns.append(message) }
    func channel(_ number: UInt16, didConfirm confirm: ConfirmEvent) { confirms.append(confirm) }
    func channel(_ number: UInt16, consumerCancelledByBroker consumerTag: String) { cancelled.append(consumerTag) }
    func channel(_ number: UInt16, flowActive: Bool) { flows.append(flowActive) }
    func channel(
        _ number: UInt16, didCloseWith error: any Error, consumers: [String], unconfirmed: [UInt64], continuation: TagOffsets
    ) {
        closes.append(error)
    }
}
