import AMQPProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP proxy on 127.0.0.1 (an ephemeral port) in front of a broker, with the faults the
/// resilience tests inject:
///
/// - `resetAll()`: every proxied connection is cut with a TCP RST (SO_LINGER {1, 0}, then close),
///   on both sides.
/// - `dropSilently()` / `resume()`: nothing is forwarded either way while the sockets stay open (a
///   black hole: the client only notices by missed heartbeats). Bytes that arrive meanwhile are
///   held (and reads stop, so TCP's windows fill), and are delivered on `resume()`, as after a
///   healed partition.
/// - `refuseNew`: new connections are accepted and reset at once.
/// - `handshakeCut`: new connections are reset at a step of the AMQP handshake (the proxy counts
///   the broker's frames just enough to know where it is).
///
/// Each proxied connection runs both its sockets on one event loop; the proxy forwards without
/// flow control of its own (fine for tests; it holds what the slower side has not taken).
final class TCPProxy: Sendable {
    /// Where in the AMQP handshake a connection is cut (with an RST to both sides).
    enum HandshakeCut: String, Sendable, CaseIterable, CustomStringConvertible {
        /// Once the client's 8-byte protocol header has arrived (it is not forwarded).
        case afterProtocolHeader
        /// Once the broker's connection.start has been delivered to the client.
        case afterConnectionStart
        /// Once the broker's connection.tune has been delivered to the client.
        case afterConnectionTune

        var description: String { rawValue }
    }

    struct State {
        var refuseNew = false
        var paused = false
        var handshakeCut: HandshakeCut?
        var accepted = 0
        var refused = 0
        var cut = 0
        var links: [ProxyLink] = []
    }

    /// The port the proxy listens on.
    let port: Int
    /// Where it forwards to.
    let targetHost: String
    let targetPort: Int
    private let listener: any Channel
    private let state: NIOLockedValueBox<State>

    private init(port: Int, targetHost: String, targetPort: Int, listener: any Channel, state: NIOLockedValueBox<State>) {
        self.port = port
        self.targetHost = targetHost
        self.targetPort = targetPort
        self.listener = listener
        self.state = state
    }

    /// Starts a proxy to `targetHost:targetPort` (the local broker by default).
    static func start(targetHost: String = "127.0.0.1", targetPort: Int = 5672) async throws -> TCPProxy {
        let state = NIOLockedValueBox(State())
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    let link = state.withLockedValue { settings -> ProxyLink in
                        settings.accepted += 1
                        settings.links.removeAll { $0.isFinished }
                        let link = ProxyLink(
                            loop: child.eventLoop, target: (targetHost, targetPort), refused: settings.refuseNew,
                            paused: settings.paused, cut: settings.handshakeCut, proxyState: state
                        )
                        if settings.refuseNew { settings.refused += 1 } else { settings.links.append(link) }
                        return link
                    }
                    try child.pipeline.syncOperations.addHandler(ProxySideHandler(link: link, isClient: true))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        guard let port = listener.localAddress?.port else {
            try? await listener.close()
            throw FakeServerFailure(reason: "the proxy's listener has no local port")
        }
        return TCPProxy(port: port, targetHost: targetHost, targetPort: targetPort, listener: listener, state: state)
    }

    /// Runs `body` with a proxy to the local broker, and stops the proxy afterwards (also when
    /// `body` throws).
    static func with<Result>(
        targetHost: String = "127.0.0.1", targetPort: Int = 5672, _ body: (TCPProxy) async throws -> Result
    ) async throws -> Result {
        let proxy = try await start(targetHost: targetHost, targetPort: targetPort)
        do {
            let result = try await body(proxy)
            await proxy.stop()
            return result
        } catch {
            await proxy.stop()
            throw error
        }
    }

    // MARK: Counters

    /// Connections accepted so far (refused ones included).
    var acceptedConnections: Int { state.withLockedValue { $0.accepted } }
    /// Connections reset at once because `refuseNew` was on.
    var refusedConnections: Int { state.withLockedValue { $0.refused } }
    /// Connections cut by `handshakeCut`.
    var cutConnections: Int { state.withLockedValue { $0.cut } }
    /// Proxied connections not yet ended.
    var activeConnections: Int { state.withLockedValue { $0.links.filter { !$0.isFinished }.count } }

    // MARK: Faults

    /// Whether new connections are reset as soon as they are accepted.
    var refuseNew: Bool {
        get { state.withLockedValue { $0.refuseNew } }
        set { state.withLockedValue { $0.refuseNew = newValue } }
    }

    /// Where new connections are cut in the AMQP handshake; nil lets them through.
    var handshakeCut: HandshakeCut? {
        get { state.withLockedValue { $0.handshakeCut } }
        set { state.withLockedValue { $0.handshakeCut = newValue } }
    }

    /// Cuts every proxied connection with a TCP RST on both sides; returns once the sockets are
    /// closed.
    func resetAll() async {
        let links = state.withLockedValue { $0.links }
        for link in links {
            try? await link.loop.flatSubmit { link.resetNow() }.get()
        }
    }

    /// Stops forwarding in both directions (a black hole); the sockets stay open.
    func dropSilently() async {
        await setPaused(true)
    }

    /// Forwards again, delivering what was held.
    func resume() async {
        await setPaused(false)
    }

    private func setPaused(_ paused: Bool) async {
        let links = state.withLockedValue { state -> [ProxyLink] in
            state.paused = paused
            return state.links
        }
        for link in links {
            try? await link.loop.submit { link.setPaused(paused) }.get()
        }
    }

    /// Closes the listener and every proxied connection (normally, with a FIN).
    func stop() async {
        try? await listener.close().get()
        let links = state.withLockedValue { $0.links }
        for link in links {
            try? await link.loop.flatSubmit { link.closeNow() }.get()
        }
    }
}

/// One proxied connection: the client's socket and the broker's, both on `loop`. Everything but
/// `isFinished` is touched on `loop` only, which is why it is `@unchecked Sendable`.
final class ProxyLink: @unchecked Sendable {
    let loop: any EventLoop
    private let target: (host: String, port: Int)
    private let refused: Bool
    private let cut: TCPProxy.HandshakeCut?
    private let proxyState: NIOLockedValueBox<TCPProxy.State>
    private let finished = NIOLockedValueBox(false)

    private var client: (any Channel)?
    private var broker: (any Channel)?
    private var paused: Bool
    /// Bytes not yet forwarded (the other side is not connected yet, or forwarding is paused).
    private var heldForBroker: [ByteBuffer] = []
    private var heldForClient: [ByteBuffer] = []
    private var clientBytes = 0
    /// A side ended while forwarding was paused: how to end the other once it resumes.
    private var endOnResume: End?
    private enum End { case close, reset }
    private var scanner = AMQPFrameScanner()

    init(
        loop: any EventLoop, target: (String, Int), refused: Bool, paused: Bool, cut: TCPProxy.HandshakeCut?,
        proxyState: NIOLockedValueBox<TCPProxy.State>
    ) {
        self.loop = loop
        self.target = target
        self.refused = refused
        self.paused = paused
        self.cut = cut
        self.proxyState = proxyState
    }

    /// Whether the link has ended (cut, reset or closed).
    var isFinished: Bool { finished.withLockedValue { $0 } }

    private func finish() -> Bool {
        finished.withLockedValue { finished in
            defer { finished = true }
            return !finished
        }
    }

    // MARK: Events (on the loop)

    func clientActive(_ channel: any Channel) {
        client = channel
        if refused {
            _ = finish()
            Self.reset(channel)
            return
        }
        if paused { channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in } }
        let link = self
        ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ProxySideHandler(link: link, isClient: false))
                }
            }
            .connect(host: target.host, port: target.port)
            .whenComplete { result in link.brokerConnected(result) }
    }

    private func brokerConnected(_ result: Result<any Channel, any Error>) {
        switch result {
        case .failure:
            if finish(), let client { Self.reset(client) }
        case .success(let channel):
            broker = channel
            if isFinished {
                Self.reset(channel)
                return
            }
            if paused { channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in } }
            flushHeld()
        }
    }

    func fromClient(_ bytes: ByteBuffer) {
        guard !isFinished else { return }
        if cut == .afterProtocolHeader {
            clientBytes += bytes.readableBytes
            if clientBytes >= AMQPProtocolHeader.bytes.count { cutNow(lastToClient: nil) }
            return
        }
        heldForBroker.append(bytes)
        flushHeld()
    }

    func fromBroker(_ bytes: ByteBuffer) {
        guard !isFinished else { return }
        if let cut, let method = cut.method {
            if let end = scanner.feed(bytes.readableBytesView, until: method) {
                cutNow(lastToClient: bytes.getSlice(at: bytes.readerIndex, length: end))
                return
            }
        }
        heldForClient.append(bytes)
        flushHeld()
    }

    /// One side closed (EOF, or after an error): close the other normally. In a black hole the
    /// close does not get through either: it is passed on at `resume()`.
    func sideClosed() {
        guard !paused else {
            if endOnResume == nil { endOnResume = .close }
            return
        }
        guard finish() else { return }
        client?.close(promise: nil)
        broker?.close(promise: nil)
    }

    /// One side failed (a reset, usually): pass the reset on to the other (at `resume()` in a
    /// black hole).
    func sideFailed() {
        guard !paused else {
            endOnResume = .reset
            return
        }
        guard finish() else { return }
        if let client { Self.reset(client) }
        if let broker { Self.reset(broker) }
    }

    // MARK: Faults (on the loop)

    func setPaused(_ paused: Bool) {
        self.paused = paused
        if !paused {
            flushHeld()
            switch endOnResume {
            case .close?: sideClosed()
            case .reset?: sideFailed()
            case nil: break
            }
            endOnResume = nil
        }
        for channel in [client, broker].compactMap({ $0 }) {
            channel.setOption(ChannelOptions.autoRead, value: !paused).whenFailure { _ in }
        }
    }

    func resetNow() -> EventLoopFuture<Void> {
        _ = finish()
        let closes = [client, broker].compactMap { $0 }.map { Self.reset($0) }
        return EventLoopFuture.andAllComplete(closes, on: loop)
    }

    func closeNow() -> EventLoopFuture<Void> {
        _ = finish()
        let closes = [client, broker].compactMap { $0 }.map { channel -> EventLoopFuture<Void> in
            let promise = loop.makePromise(of: Void.self)
            channel.close(promise: promise)
            return promise.futureResult
        }
        return EventLoopFuture.andAllComplete(closes, on: loop)
    }

    private func cutNow(lastToClient: ByteBuffer?) {
        guard finish() else { return }
        proxyState.withLockedValue { $0.cut += 1 }
        let client = client
        let broker = broker
        let resetBoth: @Sendable () -> Void = {
            if let client { Self.reset(client) }
            if let broker { Self.reset(broker) }
        }
        guard let lastToClient, let client else { return resetBoth() }
        let written = loop.makePromise(of: Void.self)
        client.writeAndFlush(lastToClient, promise: written)
        written.futureResult.whenComplete { _ in resetBoth() }
    }

    private func flushHeld() {
        guard !paused else { return }
        if let broker, !heldForBroker.isEmpty {
            for bytes in heldForBroker { broker.write(bytes, promise: nil) }
            heldForBroker.removeAll()
            broker.flush()
        }
        if let client, !heldForClient.isEmpty {
            for bytes in heldForClient { client.write(bytes, promise: nil) }
            heldForClient.removeAll()
            client.flush()
        }
    }

    /// Closes `channel` with an RST: SO_LINGER {on, 0 s}, then close.
    @discardableResult
    static func reset(_ channel: any Channel) -> EventLoopFuture<Void> {
        let closed = channel.eventLoop.makePromise(of: Void.self)
        guard let provider = channel as? any SocketOptionProvider else {
            channel.close(promise: closed)
            return closed.futureResult.recover { _ in }
        }
        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in
            channel.close(promise: closed)
        }
        return closed.futureResult.recover { _ in }
    }
}

extension TCPProxy.HandshakeCut {
    /// The broker's method after which the cut comes (class id, method id), for the cuts on the
    /// broker's side.
    var method: (classID: UInt16, methodID: UInt16)? {
        switch self {
        case .afterProtocolHeader: nil
        case .afterConnectionStart: (AMQP.Connection.Start.classID, AMQP.Connection.Start.methodID)
        case .afterConnectionTune: (AMQP.Connection.Tune.classID, AMQP.Connection.Tune.methodID)
        }
    }
}

/// Counts frames in a byte stream just enough to find the end of a given method frame: the
/// 7-byte header (type, channel, payload size), the class and method ids at payload offset 0..3
/// of a method frame, then the rest of the payload and the end octet are skipped.
struct AMQPFrameScanner {
    /// The current frame's first bytes: its header, and the method ids of a method frame.
    private var head: [UInt8] = []
    /// How many bytes `head` is to collect (7, or 11 for a method frame).
    private var headLength = 7
    /// Bytes of the current frame still to skip once `head` is complete.
    private var skip = 0
    /// Whether the current frame is the method looked for.
    private var matches = false

    /// Feeds the next `bytes` of the stream; returns the offset in `bytes` just past the end of
    /// the first frame that is the method `target`, or nil when it did not end in them.
    mutating func feed(_ bytes: ByteBufferView, until target: (classID: UInt16, methodID: UInt16)) -> Int? {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if head.count < headLength {
                head.append(bytes[index])
                index += 1
                if head.count == 7 {
                    let size = head[3...6].reduce(0) { $0 << 8 | Int($1) }
                    if head[0] == AMQPFrame.FrameType.method, size >= 4 {
                        headLength = 11
                    } else {
                        skip = size + 1
                    }
                } else if head.count == 11 {
                    let size = head[3...6].reduce(0) { $0 << 8 | Int($1) }
                    let classID = UInt16(head[7]) << 8 | UInt16(head[8])
                    let methodID = UInt16(head[9]) << 8 | UInt16(head[10])
                    matches = classID == target.classID && methodID == target.methodID
                    skip = size - 4 + 1
                }
                continue
            }
            let step = min(skip, bytes.endIndex - index)
            index += step
            skip -= step
            if skip == 0 {
                let found = matches
                head.removeAll(keepingCapacity: true)
                headLength = 7
                matches = false
                if found { return index - bytes.startIndex }
            }
        }
        return nil
    }
}

/// One side of a proxied connection: hands what it reads to the link.
private final class ProxySideHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let link: ProxyLink
    let isClient: Bool

    init(link: ProxyLink, isClient: Bool) {
        self.link = link
        self.isClient = isClient
    }

    func channelActive(context: ChannelHandlerContext) {
        if isClient { link.clientActive(context.channel) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        if isClient { link.fromClient(bytes) } else { link.fromBroker(bytes) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        link.sideClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        link.sideFailed()
        context.close(promise: nil)
    }
}
