import AMQPProtocol
import Logging
import NIOCore
import Synchronization

/// Pika's `SelectConnection`: an asynchronous connection whose every event arrives through a
/// callback on its I/O loop.
///
/// ```swift
/// let connection = SelectConnection(parameters: ConnectionParameters(), onOpen: { connection in
///     connection.channel { channel in ... }
/// })
/// try connection.ioloop.start()
/// ```
///
/// The connection starts connecting as soon as it is created (the connection workflow: each
/// parameter set in turn, `connectionAttempts` times each). Callbacks run on the loop's thread
/// (`connection.ioloop.eventLoop`), one at a time and in order, whether or not a thread is parked
/// in `ioloop.start()`. Methods may be called from any thread: off the loop they are handed to it.
public final class SelectConnection: @unchecked Sendable {
    /// The connection's I/O loop.
    public let ioloop: IOLoop
    /// The logger; its metadata names the connection (`amqp.connection`, a number unique in the
    /// process) and the broker (`amqp.host`).
    public let logger: Logger
    private static let nextConnectionID = Atomic<Int>(0)

    enum Status: UInt8, AtomicRepresentable, Sendable {
        case opening, open, recovering, closing, closed
    }

    /// Read on every publish, from any thread: atomic, no lock.
    let status = Atomic(Status.opening)
    // Everything below is touched on the loop only.
    var handler: AMQPConnectionHandler?
    var channels: [UInt16: SelectChannel] = [:]
    var onOpenCallbacks: [(SelectConnection) -> Void] = []
    var onOpenErrorCallbacks: [(SelectConnection, any Error) -> Void] = []
    var onCloseCallbacks: [(SelectConnection, any Error) -> Void] = []
    var onBlockedCallbacks: [(SelectConnection, AMQP.Connection.Blocked) -> Void] = []
    var onUnblockedCallbacks: [(SelectConnection, AMQP.Connection.Unblocked) -> Void] = []
    var workflow: ConnectionWorkflow?
    /// How the connection recovers when it is lost.
    let recovery: RecoveryOptions
    /// The parameter sets it connects with (recovery tries them again).
    var candidates: [ConnectionParameters] = []
    /// What the application declared, for recovery (loop only).
    var topology = TopologyRecorder()
    var onRecoveryCallbacks: [(SelectConnection, RecoveryEvent) -> Void] = []
    /// The recovery under way (loop only).
    var recoveryProgress: RecoveryProgress?
    /// What the handshake learned, readable from any thread.
    let negotiated = Guarded<(limits: NegotiatedLimits?, serverProperties: FieldTable)>((nil, FieldTable()))
    /// The smallest message body limit of the parameter sets it may connect with: a body no
    /// larger passes the limit of whichever set opened the connection.
    let smallestMaxBodySize: Int

    /// Opens a connection with one parameter set (`ConnectionParameters` or `URLParameters`).
    ///
    /// - Parameters:
    ///   - parameters: where and how to connect.
    ///   - onOpen: called once the connection is open.
    ///   - onOpenError: called when it could not be opened (after every attempt).
    ///   - onClose: called when an open connection closes, with why
    ///     (`ConnectionClosedByClient`, `ConnectionClosedByBroker`, `StreamLostError`, ...).
    ///   - eventLoopGroup: an existing NIO group to run on (Pika's external-loop adapters);
    ///     by default the connection gets a loop thread of its own.
    ///   - logger: where the connection logs.
    ///   - recovery: whether and how the connection recovers by itself once lost (off by
    ///     default, as in Pika; see `RecoveryOptions`). While it recovers, `onClose` is not
    ///     called; the recovery callbacks (`addOnRecoveryCallback`) report its progress.
    public convenience init(
        parameters: some ConnectionParametersConvertible = ConnectionParameters(),
        onOpen: ((SelectConnection) -> Void)? = nil,
        onOpenError: ((SelectConnection, any Error) -> Void)? = nil,
        onClose: ((SelectConnection, any Error) -> Void)? = nil,
        eventLoopGroup: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "hare"),
        recovery: RecoveryOptions = .disabled
    ) {
        self.init(
            parameters: [parameters], onOpen: onOpen, onOpenError: onOpenError, onClose: onClose,
            eventLoopGroup: eventLoopGroup, logger: logger, recovery: recovery
        )
    }

    /// Opens a connection trying each parameter set in order until one connects (recovery
    /// tries them in the same order).
    public init(
        parameters: [any ConnectionParametersConvertible],
        onOpen: ((SelectConnection) -> Void)? = nil,
        onOpenError: ((SelectConnection, any Error) -> Void)? = nil,
        onClose: ((SelectConnection, any Error) -> Void)? = nil,
        eventLoopGroup: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "hare"),
        recovery: RecoveryOptions = .disabled
    ) {
        self.recovery = recovery
        ioloop = eventLoopGroup.map { IOLoop(eventLoop: $0.next()) } ?? IOLoop()
        var logger = logger
        logger[metadataKey: "amqp.connection"] = "\(Self.nextConnectionID.add(1, ordering: .relaxed).newValue)"
        self.logger = logger
        if let onOpen { onOpenCallbacks.append(onOpen) }
        if let onOpenError { onOpenErrorCallbacks.append(onOpenError) }
        if let onClose { onCloseCallbacks.append(onClose) }
        let candidates = parameters.map(\.connectionParameters)
        smallestMaxBodySize = candidates.map(\.maxBodySize).min() ?? ConnectionParameters.defaultMaxBodySize
        let start = LoopConfined(value: self)
        ioloop.eventLoop.execute { start.value.connect(candidates) }
    }

    /// Whether the connection is open.
    public var isOpen: Bool { status.current == .open }
    /// Whether the connection was lost and is recovering (see `RecoveryOptions`).
    public var isRecovering: Bool { status.current == .recovering }
    /// Whether the connection is closing.
    public var isClosing: Bool { status.current == .closing }
    /// Whether the connection is closed (or failed to open).
    public var isClosed: Bool { status.current == .closed }

    /// The limits negotiated with the broker (nil until open).
    public var limits: NegotiatedLimits? { negotiated.withLock { $0.limits } }

    /// The broker's properties from connection.start (product, version, capabilities); empty
    /// until open.
    public var serverProperties: FieldTable { negotiated.withLock { $0.serverProperties } }

    /// Opens a channel; `onOpen` runs once the broker confirms it.
    ///
    /// - Parameters:
    ///   - channelNumber: a specific number, or nil for the lowest free one.
    ///   - onOpen: receives the open channel.
    ///   - onOpenError: receives why the channel could not be opened (the connection is not
    ///     open: `ConnectionWrongStateError`; no number left: `NoFreeChannels`; the broker
    ///     refused it). Without it, the error is logged.
    public func channel(
        channelNumber: UInt16? = nil, onOpen: @escaping (SelectChannel) -> Void,
        onOpenError: ((any Error) -> Void)? = nil
    ) {
        ioloop.eventLoop.runOnLoop { [self] in
            let failed: (any Error) -> Void = { [self] error in
                if let onOpenError { onOpenError(error) } else {
                    logger.error("cannot open a channel", metadata: ["error": "\(error)"])
                }
            }
            if status.current == .recovering {
                whenRecovered("channel.open") { [self] result in
                    switch result {
                    case .success: self.channel(channelNumber: channelNumber, onOpen: onOpen, onOpenError: onOpenError)
                    case .failure(let error): failed(error)
                    }
                }
                return
            }
            guard let handler, status.current == .open else {
                failed(ConnectionWrongStateError(reason: "a channel needs an open connection"))
                return
            }
            let channel = SelectChannel(connection: self)
            handler.openChannel(number: channelNumber, delegate: channel) { [self] result in
                switch result {
                case .success(let number):
                    channel.didOpen(number: number)
                    channels[number] = channel
                    onOpen(channel)
                case .failure(let error):
                    channel.didFailToOpen(error)
                    failed(error)
                }
            }
        }
    }

    /// Closes the connection: connection.close, then close-ok; `onClose` receives
    /// `ConnectionClosedByClient(replyCode, replyText)`. While still opening, the attempt under
    /// way is abandoned, no more are made, and `onOpenError` receives `ConnectionOpenAborted`.
    /// While recovering, the recovery stops: the channels waiting for it close with
    /// `ChannelClosedByClient`, and `onClose` receives `ConnectionClosedByClient`.
    public func close(replyCode: UInt16 = 200, replyText: String = "Normal shutdown") {
        ioloop.eventLoop.runOnLoop { [self] in
            let previous = status.update { status -> Status in
                let previous = status
                if status != .closing, status != .closed { status = .closing }
                return previous
            }
            switch previous {
            case .closing, .closed: return
            case .recovering where handler == nil || handler?.finalError != nil:
                // Between attempts, or inside the callbacks of the loss itself.
                abandonRecovery(ConnectionClosedByClient(replyCode: replyCode, replyText: replyText))
                return
            case .opening, .open, .recovering: break
            }
            if let handler {
                handler.close(replyCode: replyCode, replyText: replyText)
            } else {
                workflow?.cancel(ConnectionOpenAborted(
                    reason: "the application closed the connection while it was opening (\(replyCode) \(replyText))"
                ))
            }
        }
    }

    /// Adds a callback for when the connection opens.
    public func addOnOpenCallback(_ callback: @escaping (SelectConnection) -> Void) {
        ioloop.eventLoop.runOnLoop { [self] in onOpenCallbacks.append(callback) }
    }

    /// Adds a callback for when the connection cannot be opened.
    public func addOnOpenErrorCallback(_ callback: @escaping (SelectConnection, any Error) -> Void) {
        ioloop.eventLoop.runOnLoop { [self] in onOpenErrorCallbacks.append(callback) }
    }

    /// Adds a callback for recovery's progress: started, each failed attempt, renamed queues,
    /// entities that could not be redeclared, succeeded.
    public func addOnRecoveryCallback(_ callback: @escaping (SelectConnection, RecoveryEvent) -> Void) {
        ioloop.eventLoop.runOnLoop { [self] in onRecoveryCallbacks.append(callback) }
    }

    /// Adds a callback for when the open connection closes.
    public func addOnCloseCallback(_ callback: @escaping (SelectConnection, any Error) -> Void) {
        ioloop.eventLoop.runOnLoop { [self] in onCloseCallbacks.append(callback) }
    }

    /// Adds a callback for connection.blocked: the broker stopped reading from publishers (a
    /// memory or disk alarm).
    public func addOnConnectionBlockedCallback(_ callback: @escaping (SelectConnection, AMQP.Connection.Blocked) -> Void) {
        ioloop.eventLoop.runOnLoop { [self] in onBlockedCallbacks.append(callback) }
    }

    /// Adds a callback for connection.unblocked.
    public func addOnConnectionUnblockedCallback(_ callback: @escaping (SelectConnection, AMQP.Connection.Unblocked) -> Void) {
        ioloop.eventLoop.runOnLoop { [self] in onUnblockedCallbacks.append(callback) }
    }

    /// Replaces the secret (an OAuth 2 token, say) the connection authenticated with
    /// (connection.update-secret); `callback` receives the broker's answer.
    public func updateSecret(
        _ newSecret: String, reason: String,
        callback: ((Result<AMQP.Connection.UpdateSecretOk, any Error>) -> Void)? = nil
    ) {
        ioloop.eventLoop.runOnLoop { [self] in
            guard let handler else {
                callback?(.failure(ConnectionWrongStateError(reason: "update-secret needs an open connection")))
                return
            }
            handler.updateSecret(ByteBuffer(string: newSecret), reason: reason) { result in
                callback?(result.map { AMQP.Connection.UpdateSecretOk() })
            }
        }
    }
}
