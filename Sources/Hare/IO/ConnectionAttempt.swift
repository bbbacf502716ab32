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
/// then the AMQP handshake, all bounded by stack_timeout.
struct ConnectionAttempt {
    let parameters: ConnectionParameters
    let eventLoop: any EventLoop
    let logger: Logger
    let prepare: (AMQPConnectionHandler) -> Void

    func run() -> EventLoopFuture<AMQPConnectionHandler> {
        let promise = eventLoop.makePromise(of: AMQPConnectionHandler.self)
        let tls: NIOSSLContext?
        do {
            tls = try makeTLSContext()
        } catch {
            promise.fail(error)
            return promise.futureResult
        }
        let handler = makeHandler()
        prepare(handler)
        let opened = handler.events.opened
        let closed = handler.events.closed
        var settled = false
        handler.events.opened = { limits in
            opened(limits)
            if !settled {
                settled = true
                promise.succeed(handler)
            }
        }
        handler.events.closed = { error in
            if !settled {
                settled = true
                promise.fail(error)
            } else {
                closed(error)
            }
        }
        let loop = eventLoop.assumeIsolatedUnsafeUnchecked()
        var stackTimer: Scheduled<Void>?
        if let stackTimeout = parameters.stackTimeout {
            stackTimer = loop.scheduleTask(in: .clampedSeconds(stackTimeout)) {
                guard !settled else { return }
                let error = AMQPConnectionTimeout(stage: "opening the connection (stack_timeout)", timeout: stackTimeout)
                if handler.context != nil {
                    handler.abort(error)
                } else {
                    settled = true
                    promise.fail(error)
                }
            }
        }
        promise.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { _ in stackTimer?.cancel() }

        let host = parameters.host
        let sni = parameters.sslOptions?.sniHostname(connectingTo: host)
        var bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: (parameters.tcpOptions?.noDelay ?? true) ? 1 : 0)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: sni))
                    }
                    try sync.addHandler(handler)
                }
            }
        if let socketTimeout = parameters.socketTimeout {
            bootstrap = bootstrap.connectTimeout(.clampedSeconds(socketTimeout))
        }
        bootstrap = applyTCPOptions(bootstrap)
        bootstrap.connect(host: host, port: parameters.port).assumeIsolatedUnsafeUnchecked().whenComplete { result in
            switch result {
            case .success(let channel):
                if settled { channel.close(promise: nil) }
            case .failure(let error):
                guard !settled else { return }
                settled = true
                if let timeout = parameters.socketTimeout, error is ChannelError, case .connectTimeout = error as! ChannelError {
                    promise.fail(AMQPConnectionTimeout(stage: "TCP connect to \(host):\(parameters.port) (socket_timeout)", timeout: timeout))
                } else {
                    promise.fail(StreamLostError(reason: "cannot connect to \(host):\(parameters.port)", underlying: IOFailure(error)))
                }
            }
        }
        return promise.futureResult
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
        return AMQPConnectionHandler(
            configuration: configuration,
            maxBodySize: parameters.maxBodySize,
            blockedConnectionTimeout: parameters.blockedConnectionTimeout,
            closeTimeout: parameters.socketTimeout ?? 10,
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
            bootstrap = bootstrap.channelOption(ChannelOptions.Types.SocketOption(level: tcp, name: TCP_KEEPIDLE), value: SocketOptionValue(idle))
        }
        if let interval = options.keepInterval {
            bootstrap = bootstrap.channelOption(ChannelOptions.Types.SocketOption(level: tcp, name: TCP_KEEPINTVL), value: SocketOptionValue(interval))
        }
        if let count = options.keepCount {
            bootstrap = bootstrap.channelOption(ChannelOptions.Types.SocketOption(level: tcp, name: TCP_KEEPCNT), value: SocketOptionValue(count))
        }
        if let timeout = options.userTimeout {
            bootstrap = bootstrap.channelOption(ChannelOptions.Types.SocketOption(level: tcp, name: TCP_USER_TIMEOUT), value: SocketOptionValue(timeout))
        }
        #endif
        return bootstrap
    }
}
