import AMQPProtocol
import Hare
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A scripted fake AMQP server on 127.0.0.1 (an ephemeral port), for hostile-server tests.
///
/// Every accepted connection is a `Session`; the script runs against the sessions one at a time,
/// in the order they were accepted. The server decodes what the client sends as it arrives (the
/// protocol header, then frames), so a test can check, for example, that the client answered a
/// broken frame with connection.close 501. Nothing here traps and every wait is bounded: a step
/// that times out or sees the wrong thing is recorded in `Session.failures` and ends the script
/// (the socket is closed, so the client is not left hanging).
final class FakeServer: Sendable {
    /// One step of a script.
    enum Step: Sendable {
        /// Wait for the client's 8-byte protocol header and check it is AMQP 0-9-1's.
        case expectProtocolHeader
        /// Wait for one frame from the client and discard it.
        case expectFrame
        /// Wait for one frame from the client and check it is the method called `name`
        /// (`connection.start-ok`, ...).
        case expectMethod(String)
        /// Send these bytes as they are.
        case send(ByteBuffer)
        /// Send a method frame built with AMQPProtocol's encoder.
        case sendMethod(channel: UInt16, AMQP.Method)
        /// Do nothing for a while.
        case sleep(milliseconds: Int)
        /// Close the socket.
        case close
    }

    /// The port the server listens on.
    let port: Int
    /// How long one expect step waits, in seconds.
    let stepTimeout: Double
    private let listener: any NIOCore.Channel
    private let accepted: NIOLockedValueBox<[Session]>
    private let runner: NIOLockedValueBox<Task<Void, Never>?>

    private init(port: Int, stepTimeout: Double, listener: any NIOCore.Channel, accepted: NIOLockedValueBox<[Session]>) {
        self.port = port
        self.stepTimeout = stepTimeout
        self.listener = listener
        self.accepted = accepted
        runner = NIOLockedValueBox(nil)
    }

    /// Starts a server that plays `script` to each connection it accepts.
    static func start(script: [Step], stepTimeout: Double = 5) async throws -> FakeServer {
        let accepted = NIOLockedValueBox<[Session]>([])
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    let session = Session(channel: child)
                    try child.pipeline.syncOperations.addHandler(FakeServerHandler(session: session))
                    accepted.withLockedValue { $0.append(session) }
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        guard let port = listener.localAddress?.port else {
            try? await listener.close()
            throw FakeServerFailure(reason: "the listener has no local port")
        }
        let server = FakeServer(port: port, stepTimeout: stepTimeout, listener: listener, accepted: accepted)
        let task = Task { await server.play(script) }
        server.runner.withLockedValue { $0 = task }
        return server
    }

    /// Runs `body` with a server playing `script`, and stops the server afterwards (also when
    /// `body` throws).
    static func with<Result>(
        script: [Step], stepTimeout: Double = 5, _ body: (FakeServer) async throws -> Result
    ) async throws -> Result {
        let server = try await start(script: script, stepTimeout: stepTimeout)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// The connections accepted so far.
    var sessions: [Session] { accepted.withLockedValue { $0 } }

    /// The first accepted connection, waiting up to `timeout` seconds for it.
    func firstSession(timeout: Double = 5) async -> Session? {
        _ = await FaultWait.until(seconds: timeout) { !sessions.isEmpty }
        return sessions.first
    }

    /// Stops the script, closes every accepted connection and the listener.
    func stop() async {
        let task = runner.withLockedValue { task -> Task<Void, Never>? in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await task?.value
        for session in sessions {
            try? await session.channel.close().get()
        }
        try? await listener.close().get()
    }

    private func play(_ script: [Step]) async {
        var next = 0
        while !Task.isCancelled {
            let ready = await FaultWait.until(seconds: 3600) { sessions.count > next }
            guard ready, !Task.isCancelled else { return }
            let session = accepted.withLockedValue { $0[next] }
            next += 1
            await session.run(script, stepTimeout: stepTimeout)
        }
    }
}

/// A failure of the fake server's own setup.
struct FakeServerFailure: Error, CustomStringConvertible {
    var reason: String
    var description: String { "FakeServerFailure: \(reason)" }
}

extension FakeServer {
    /// One accepted connection: what the client sent, decoded, and how the script went.
    final class Session: Sendable {
        /// The accepted socket.
        let channel: any NIOCore.Channel
        private let state = NIOLockedValueBox(State())

        private struct State {
            var pending = ByteBuffer()
            var parser = AMQPFrameParser(maxFrameSize: 1 << 24, maxBodySize: 1 << 24)
            var protocolHeader: [UInt8]?
            var frames: [AMQPFrame] = []
            var decodeError: AMQPProtocolError?
            var bytesReceived = 0
            var consumedFrames = 0
            var socketClosed = false
            var scriptFinished = false
            var failures: [String] = []
            var writeErrors: [String] = []
        }

        init(channel: any NIOCore.Channel) {
            self.channel = channel
        }

        /// The protocol header the client sent, once 8 bytes are here.
        var protocolHeader: [UInt8]? { state.withLockedValue { $0.protocolHeader } }
        /// Every frame the client sent, in order.
        var frames: [AMQPFrame] { state.withLockedValue { $0.frames } }
        /// Every method the client sent, as (channel, method).
        var methods: [(channel: UInt16, method: AMQP.Method)] {
            frames.compactMap { frame in
                guard case .method(let channel, let method) = frame else { return nil }
                return (channel, method)
            }
        }
        /// The names of the methods the client sent, in order.
        var methodNames: [String] { methods.map(\.method.name) }
        /// The first connection.close the client sent.
        var connectionClose: AMQP.Connection.Close? {
            for (_, method) in methods {
                if case .connectionClose(let close) = method { return close }
            }
            return nil
        }
        /// Bytes the client sent that are neither a protocol header nor a frame.
        var decodeError: AMQPProtocolError? { state.withLockedValue { $0.decodeError } }
        /// How many bytes the client sent in all.
        var bytesReceived: Int { state.withLockedValue { $0.bytesReceived } }
        /// Whether the socket has closed (by the client, or by a `close` step).
        var socketClosed: Bool { state.withLockedValue { $0.socketClosed } }
        /// Whether the script ran to its end (or stopped at a failure).
        var scriptFinished: Bool { state.withLockedValue { $0.scriptFinished } }
        /// Expect steps that failed; empty when the client did what the script expected.
        var failures: [String] { state.withLockedValue { $0.failures } }
        /// Sends that failed (usually because the client had already closed the socket).
        var writeErrors: [String] { state.withLockedValue { $0.writeErrors } }

        /// Waits up to `timeout` seconds for the socket to close.
        func waitUntilClosed(timeout: Double = 5) async -> Bool {
            await FaultWait.until(seconds: timeout) { socketClosed }
        }

        /// Waits up to `timeout` seconds for the script to finish.
        func waitForScript(timeout: Double = 5) async -> Bool {
            await FaultWait.until(seconds: timeout) { scriptFinished }
        }

        /// Waits up to `timeout` seconds for the client to send a connection.close.
        func waitForConnectionClose(timeout: Double = 5) async -> AMQP.Connection.Close? {
            _ = await FaultWait.until(seconds: timeout) { connectionClose != nil || socketClosed }
            return connectionClose
        }

        // MARK: Fed by the handler, on the event loop

        func received(_ bytes: ByteBuffer) {
            state.withLockedValue { state in
                state.bytesReceived += bytes.readableBytes
                state.pending.writeImmutableBuffer(bytes)
                if state.protocolHeader == nil {
                    guard state.pending.readableBytes >= AMQPProtocolHeader.bytes.count else { return }
                    guard state.pending.getInteger(at: state.pending.readerIndex, as: UInt8.self) == UInt8(ascii: "A") else {
                        state.protocolHeader = []  // no header: decode frames from the first byte
                        Self.decode(&state)
                        return
                    }
                    state.protocolHeader = state.pending.readBytes(length: AMQPProtocolHeader.bytes.count)
                }
                Self.decode(&state)
            }
        }

        private static func decode(_ state: inout State) {
            while state.decodeError == nil {
                do throws(AMQPProtocolError) {
                    guard let frame = try state.parser.parse(&state.pending) else { break }
                    state.frames.append(frame)
                } catch {
                    state.decodeError = error
                }
            }
            state.pending.discardReadBytes()
        }

        func markClosed() {
            state.withLockedValue { $0.socketClosed = true }
        }

        // MARK: The script

        private func fail(_ message: String) async {
            state.withLockedValue { $0.failures.append(message) }
            try? await channel.close().get()
        }

        /// The next frame the client sent that no step has taken yet, waiting up to `timeout`.
        private func nextFrame(timeout: Double) async -> AMQPFrame? {
            let arrived = await FaultWait.until(seconds: timeout) {
                state.withLockedValue { $0.frames.count > $0.consumedFrames || $0.socketClosed || $0.decodeError != nil }
            }
            guard arrived else { return nil }
            return state.withLockedValue { state -> AMQPFrame? in
                guard state.frames.count > state.consumedFrames else { return nil }
                defer { state.consumedFrames += 1 }
                return state.frames[state.consumedFrames]
            }
        }

        private func send(_ bytes: ByteBuffer) async {
            do {
                try await channel.writeAndFlush(bytes).get()
            } catch {
                state.withLockedValue { $0.writeErrors.append("\(error)") }
            }
        }

        func run(_ script: [Step], stepTimeout: Double) async {
            defer { state.withLockedValue { $0.scriptFinished = true } }
            for (number, step) in script.enumerated() {
                guard !Task.isCancelled else { return }
                switch step {
                case .expectProtocolHeader:
                    let arrived = await FaultWait.until(seconds: stepTimeout) { protocolHeader != nil || socketClosed }
                    guard arrived, let header = protocolHeader else {
                        return await fail("step \(number): no protocol header within \(stepTimeout) s")
                    }
                    guard header == AMQPProtocolHeader.bytes else {
                        return await fail("step \(number): the protocol header is \(header), not AMQP 0-9-1's")
                    }
                case .expectFrame:
                    guard await nextFrame(timeout: stepTimeout) != nil else {
                        return await fail("step \(number): no frame from the client within \(stepTimeout) s (\(decodeError.map { "\($0)" } ?? "nothing decodable"))")
                    }
                case .expectMethod(let name):
                    guard let frame = await nextFrame(timeout: stepTimeout) else {
                        return await fail("step \(number): no \(name) from the client within \(stepTimeout) s")
                    }
                    guard case .method(_, let method) = frame, method.name == name else {
                        return await fail("step \(number): expected \(name), the client sent \(frame)")
                    }
                case .send(let bytes):
                    await send(bytes)
                case .sendMethod(let channelNumber, let method):
                    var buffer = ByteBuffer()
                    do throws(AMQPProtocolError) {
                        try buffer.writeAMQPFrame(.method(channel: channelNumber, method))
                    } catch {
                        return await fail("step \(number): cannot encode \(method.name): \(error)")
                    }
                    await send(buffer)
                case .sleep(let milliseconds):
                    try? await Task.sleep(for: .milliseconds(milliseconds))
                case .close:
                    try? await channel.close().get()
                }
            }
        }
    }
}

/// The accepted socket's handler: hands what arrives to the session.
private final class FakeServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let session: FakeServer.Session

    init(session: FakeServer.Session) {
        self.session = session
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        session.received(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.markClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

// MARK: Script building blocks

extension FakeServer.Step {
    /// The server properties a plain fake broker announces.
    static let serverProperties: FieldTable = ["product": .string("FakeServer"), "version": .string("0.0")]

    /// connection.start offering PLAIN, with `serverProperties`.
    static func start(serverProperties: FieldTable = serverProperties) -> Self {
        .sendMethod(channel: 0, .connectionStart(AMQP.Connection.Start(
            versionMajor: 0, versionMinor: 9, serverProperties: serverProperties,
            mechanisms: ByteBuffer(string: "PLAIN AMQPLAIN"), locales: ByteBuffer(string: "en_US")
        )))
    }

    /// connection.tune with the given limits.
    static func tune(channelMax: UInt16 = 2047, frameMax: UInt32 = 131_072, heartbeat: UInt16 = 0) -> Self {
        .sendMethod(channel: 0, .connectionTune(AMQP.Connection.Tune(channelMax: channelMax, frameMax: frameMax, heartbeat: heartbeat)))
    }

    /// The whole handshake to an open connection: header, start, start-ok, tune, tune-ok, open,
    /// open-ok.
    static func handshake(frameMax: UInt32 = 131_072, heartbeat: UInt16 = 0) -> [Self] {
        [
            .expectProtocolHeader,
            start(),
            .expectMethod("connection.start-ok"),
            tune(frameMax: frameMax, heartbeat: heartbeat),
            .expectMethod("connection.tune-ok"),
            .expectMethod("connection.open"),
            .sendMethod(channel: 0, .connectionOpenOk(AMQP.Connection.OpenOk())),
        ]
    }

    /// Answers the client's channel.open on `channel` with channel.open-ok.
    static func openChannel(_ channel: UInt16 = 1) -> [Self] {
        [.expectMethod("channel.open"), .sendMethod(channel: channel, .channelOpenOk(AMQP.Channel.OpenOk()))]
    }

    /// Sends raw bytes.
    static func bytes(_ bytes: [UInt8]) -> Self {
        .send(ByteBuffer(bytes: bytes))
    }
}

// MARK: Bounded waits

/// Bounded waits for the fault tests: nothing here waits longer than it is told.
enum FaultWait {
    /// Polls `condition` every 2 ms until it holds (true) or `seconds` pass (false).
    static func until(seconds: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while !condition() {
            if ContinuousClock.now >= deadline || Task.isCancelled { return condition() }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    /// Why `connection` ended, waiting up to `seconds`; nil when it is still open then.
    static func ending(of connection: Connection, within seconds: Double) async -> (any Error)? {
        await withTaskGroup(of: (any Error)?.self) { group in
            group.addTask { await connection.closed() }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
