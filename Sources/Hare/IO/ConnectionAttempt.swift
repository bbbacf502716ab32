import AMQPProtocol
import Logging
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One try at one parameter set: TCP connect (bounded by socket_timeout), TLS when asked,
/// then the AMQP handshake, all bounded by stack_timeout. Confined to the event loop.
///
/// NIO may try several addresses of a host at once (Happy Eyeballs) and runs the channel
/// initializer for each, so every NIO channel gets a handler of its own; only the handler of the
/// channel that wins the connect is wired to the attempt and to the face.
final class ConnectionAttempt {
    private(set) var parameters: ConnectionParameters
    let eventLoop: any EventLoop
    let logger: Logger
    let prepare: (AMQPConnectionHandler) -> Void
    private let promise: EventLoopPromise<AMQPConnectionHandler>
    private var handler: AMQPConnectionHandler?
    private var settled = false
    private var stackTimer: Scheduled<Void>?

    init(parameters: ConnectionParameters, eventLoop: any EventLoop, logger: Logger, prepare: @escaping (AMQPConnectionHandler) -> Void) {
        self.parameters = parameters
        self.eventLoop = eventLoop
        self.logger = logger
        self.prepare = prepare
        promise = eventLoop.makePromise(of: AMQPConnectionHandler.self)
    }

    func run() -> EventLoopFuture<AMQPConnectionHandler> {
        let tls: NIOSSLContext?
        do {
            // Asked once per attempt: a token may have expired since the last one. It must fit
            // in start-ok as the static credentials were checked to.
            if let provider = parameters.credentialsProvider {
                parameters.credentials = provider()
                parameters.credentialsProvider = nil
                try ConnectionWorkflow.checkHandshakeFits(parameters)
            }
            tls = try makeTLSContext()
        } catch {
            fail(error)
            return promise.futureResult
        }
        let loop = eventLoop.assumeIsolatedUnsafeUnchecked()
        if let stackTimeout = parameters.stackTimeout {
            stackTimer = loop.scheduleTask(in: .clampedSeconds(stackTimeout)) { [self] in
                abort(AMQPConnectionTimeout(stage: "opening the connection (stack_timeout)", timeout: stackTimeout))
            }
        }
        let host = parameters.host
        let port = parameters.port
        let sni = parameters.sslOptions?.sniHostname(connectingTo: host)
        let makeHandler = LoopConfined(value: makeHandler)
        var bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: (parameters.tcpOptions?.noDelay ?? true) ? 1 : 0)
            .channelOption(ChannelOptions.writeBufferWaterMark, value: AMQPConnectionHandler.writeBufferWaterMark)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: sni))
                    }
                    try sync.addHandler(makeHandler.value())
                }
            }
        if let socketTimeout = parameters.socketTimeout {
            bootstrap = bootstrap.connectTimeout(.clampedSeconds(socketTimeout))
        }
        bootstrap = applyTCPOptions(bootstrap)
        bootstrap.connect(host: host, port: port).assumeIsolatedUnsafeUnchecked().whenComplete { [self] result in
            switch result {
            case .success(let channel):
                guard !settled, let winner = try? channel.pipeline.syncOperations.handler(type: AMQPConnectionHandler.self) else {
                    channel.close(promise: nil)
                    return
                }
                wire(winner)
            case .failure(let error):
                if let timeout = parameters.socketTimeout, let channelError = error as? ChannelError, case .connectTimeout = channelError {
                    fail(AMQPConnectionTimeout(stage: "TCP connect to \(host):\(port) (socket_timeout)", timeout: timeout))
                } else {
                    fail(StreamLostError(reason: "cannot connect to \(host):\(port)", underlying: IOFailure(error)))
                }
            }
        }
        return promise.futureResult
    }

    /// Gives up now (stack timeout, or the application closed the connection while opening).
    func abort(_ error: any AMQPConnectionError) {
        guard !settled else { return }
        if let handler {
            handler.events = AMQPConnectionHandler.Events()
            handler.abort(error)
        }
        fail(error)
    }

    private func wire(_ handler: AMQPConnectionHandler) {
        self.handler = handler
        prepare(handler)
        let faceOpened = handler.events.opened
        let faceClosing = handler.events.closing
        let faceClosed = handler.events.closed
        handler.events.opened = { [self] limits in
            guard !settled else { return }
            settled = true
            stackTimer?.cancel()
            faceOpened(limits)
            handler.events.opened = faceOpened
            handler.events.closing = faceClosing
            handler.events.closed = faceClosed
            promise.succeed(handler)
        }
        // Until it opens, its end is the attempt's failure, not the face's.
        handler.events.closing = { _ in }
        handler.events.closed = { [self] error in fail(error) }
    }

    private func fail(_ error: any Error) {
        guard !settled else { return }
        settled = true
        stackTimer?.cancel()
        handler?.events = AMQPConnectionHandler.Events()
        promise.fail(error)
    }

    private func makeHandler() -> AMQPConnectionHandler {
        let credentials = parameters.credentials
        let configuration = ConnectionConfiguration(
            virtualHost: parameters.virtualHost,
            locale: parameters.locale,
            clientProperties: ClientProperties.make(user: parameters.clientProperties),
            mechanism: credentials.mechanism,
            response: ByteBuffer(bytes: credentials.initialResponse()),
            channelMax: parameters.channelMax,
            frameMax: parameters.frameMax,
            heartbeat: parameters.heartbeat,
            heartbeatCallback: parameters.heartbeatCallback
        )
        var logger = logger
        logger[metadataKey: "amqp.host"] = "\(parameters.host):\(parameters.port)"
        let tcpOptions = parameters.tcpOptions ?? TCPOptions()
        return AMQPConnectionHandler(
            configuration: configuration,
            maxBodySize: parameters.maxBodySize,
            blockedConnectionTimeout: parameters.blockedConnectionTimeout,
            closeTimeout: parameters.socketTimeout ?? 10,
            receiveCoalescingBytes: tcpOptions.receiveCoalescingBytes,
            receiveCoalescingDelay: tcpOptions.receiveCoalescingDelay,
            logger: logger
        )
    }

    private func makeTLSContext() throws -> NIOSSLContext? {
        guard let options = parameters.sslOptions else { return nil }
        if options.certificateVerification != .fullVerification {
            logger.warning("TLS certificate verification is weakened (\(options.certificateVerification)): the broker's identity is not fully checked")
        }
        let configuration = try options.makeTLSConfiguration()
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw ParametersError(key: "ssl_options", reason: "cannot set up TLS: \(error)")
        }
    }

    private func applyTCPOptions(_ bootstrap: ClientBootstrap) -> ClientBootstrap {
        guard let options = parameters.tcpOptions else { return bootstrap }
        var bootstrap = bootstrap
        if options.enablesKeepAlive {
            bootstrap = bootstrap.channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
        }
        #if os(Linux)
        let tcp = SocketOptionLevel(IPPROTO_TCP)
        if let idle = options.keepIdle {
            bootstrap = bootstrap.channelOption(ChannelOptions.Types.SocketOption(level: tcp, name: TCP_KEEPIDLE), value: SocketOptionValue(clamping: idle))
        }
        if let interval = options.keepInterval {
            bootstrap = bootstrap.channelOption(ChannelOptions.Types.SocketOption(level: tcp, name: TCP_KEEPINTVL), value: SocketOptionValue(clamping: interval))
        }
        if let count = options.keepCount {
            bootstrap = bootstrap.channelOption(ChannelOptions.Types.SocketOption(level: tcp, name: TCP_KEEPCNT), value: SocketOptionValue(clamping: count))
        }
        if let timeout = options.userTimeout {
            bootstrap = bootstrap.channelOption(ChannelOptions.Types.SocketOption(level: tcp, name: TCP_USER_TIMEOUT), value: SocketOptionValue(clamping: timeout))
        }
        #endif
        return bootstrap
    }
}
