import AMQPProtocol
import Logging
import NIOCore
import NIOPosix

/// An AMQP connection for async/await code.
///
/// ```swift
/// let connection = try await Connection.connect(URLParameters("amqp://guest:guest@localhost/"))
/// let channel = try await connection.channel()
/// let queue = try await channel.queueDeclare(queue: "", exclusive: true)
/// try await channel.basicPublish(exchange: "", routingKey: queue.queue, body: "hello")
/// try await connection.close()
/// ```
///
/// It sits on the callback face (`SelectConnection`): every state change happens on the
/// connection's NIO event loop, so a `Connection` and its channels may be used from any number
/// of tasks at once. Every `async` method honours task cancellation: the waiting task gets
/// `CancellationError` at once and whatever the broker answers later is discarded. Every wait for
/// the broker (an RPC, a publisher confirm, a channel close) is also bounded by `rpcTimeout`
/// (60 s unless `connect` says otherwise): past it the call throws `RPCTimeoutError` and, as
/// after a cancellation, the channel stays usable. For a shorter bound on one call, cancel its
/// task (for example from a task group racing a `Task.sleep`).
public final class Connection: Sendable {
    /// The callback-face connection underneath.
    let select: SelectConnection
    let closeWatch: CloseWatch
    let notices: Broadcaster<BlockedNotice>
    let recoveryNotices: Broadcaster<RecoveryEvent>
    /// Consumers that asked to pause socket reads, and the keep-alive of the heartbeat monitor
    /// while paused (loop only).
    let readPauses = LoopConfined(value: ReadPauses())

    /// How long a call waits for the broker (an RPC, a publisher confirm, a channel close)
    /// before it throws `RPCTimeoutError`, in seconds; nil waits as long as the connection lives.
    public let rpcTimeout: Double?

    /// The logger; its metadata names the connection (`amqp.connection`).
    public var logger: Logger { select.logger }

    /// The event loop every state change of the connection and its channels happens on.
    public var eventLoop: any EventLoop { select.ioloop.eventLoop }

    private init(
        parameters: [any ConnectionParametersConvertible], eventLoopGroup: any EventLoopGroup, logger: Logger,
        rpcTimeout: Double?, recovery: RecoveryOptions, opened: ReplyWaiter<Void>
    ) {
        self.rpcTimeout = rpcTimeout
        let closeWatch = CloseWatch()
        let notices = Broadcaster<BlockedNotice>(limit: 64)
        let recoveryNotices = Broadcaster<RecoveryEvent>(limit: 1024)
        self.closeWatch = closeWatch
        self.notices = notices
        self.recoveryNotices = recoveryNotices
        select = SelectConnection(
            parameters: parameters,
            onOpen: { connection in
                connection.addOnConnectionBlockedCallback { _, blocked in notices.send(.blocked(reason: blocked.reason)) }
                connection.addOnConnectionUnblockedCallback { _, _ in notices.send(.unblocked) }
                opened.resolve(.success(()))
            },
            onOpenError: { _, error in
                closeWatch.finish(error)
                notices.finish()
                recoveryNotices.finish()
                opened.resolve(.failure(error))
            },
            onClose: { _, error in
                closeWatch.finish(error)
                notices.finish()
                recoveryNotices.finish()
            },
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            recovery: recovery
        )
        let readPauses = readPauses
        select.addOnRecoveryCallback { connection, event in
            // Consumers whose buffers were full when the connection was lost still are: the new
            // socket reads as little as the old one did.
            if case .succeeded = event, readPauses.value.count > 0 { connection.setSocketReading(false) }
            recoveryNotices.send(event)
        }
    }

    /// Connects and opens the connection with one parameter set (`ConnectionParameters` or
    /// `URLParameters`).
    ///
    /// - Parameters:
    ///   - parameters: where and how to connect (Pika's connection workflow: `connectionAttempts`
    ///     tries, `retryDelay` apart).
    ///   - eventLoopGroup: the NIO group to run on; by default the shared
    ///     `MultiThreadedEventLoopGroup.singleton` (no thread of its own per connection).
    ///   - logger: where the connection logs.
    ///   - rpcTimeout: how long a call waits for the broker before it throws `RPCTimeoutError`,
    ///     in seconds (nil: as long as the connection lives).
    ///   - recovery: how the connection recovers once lost; on by default (see
    ///     `RecoveryOptions`): channels, consumers and `Consumer` sequences carry on, and
    ///     `recoveryEvents` reports the progress. `.disabled` makes a loss final.
    /// - Throws: what prevented the connection (`ProbableAuthenticationError`,
    ///   `ProbableAccessDeniedError`, `StreamLostError`, `AMQPConnectionWorkflowFailed`, ...), or
    ///   `CancellationError` when the task was cancelled (the attempt is then abandoned).
    public static func connect(
        _ parameters: some ConnectionParametersConvertible = ConnectionParameters(),
        eventLoopGroup: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "hare"),
        rpcTimeout: Double? = Connection.defaultRPCTimeout,
        recovery: RecoveryOptions = .enabled
    ) async throws -> Connection {
        try await connect([parameters], eventLoopGroup: eventLoopGroup, logger: logger, rpcTimeout: rpcTimeout, recovery: recovery)
    }

    /// Connects trying each parameter set in order until one opens.
    ///
    /// - Parameters:
    ///   - parameters: the candidates, tried in order.
    ///   - eventLoopGroup: the NIO group to run on; by default `MultiThreadedEventLoopGroup.singleton`.
    ///   - logger: where the connection logs.
    ///   - rpcTimeout: how long a call waits for the broker before it throws `RPCTimeoutError`,
    ///     in seconds (nil: as long as the connection lives).
    ///   - recovery: how the connection recovers once lost (on by default; recovery tries the
    ///     parameter sets in the same order).
    /// - Throws: the error of the only attempt, `AMQPConnectionWorkflowFailed` with every
    ///   attempt's error, or `CancellationError`.
    public static func connect(
        _ parameters: [any ConnectionParametersConvertible],
        eventLoopGroup: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "hare"),
        rpcTimeout: Double? = Connection.defaultRPCTimeout,
        recovery: RecoveryOptions = .enabled
    ) async throws -> Connection {
        try Task.checkCancellation()
        let opened = ReplyWaiter<Void>()
        let connection = Connection(
            parameters: parameters, eventLoopGroup: eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton,
            logger: logger, rpcTimeout: rpcTimeout, recovery: recovery, opened: opened
        )
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                _ = opened.install(continuation)
            }
        } onCancel: {
            // Only a connection nobody will receive is closed: once opened won, it is returned.
            if opened.cancel() { connection.select.close() }
        }
        return connection
    }

    /// The default `rpcTimeout`: 60 s, as the blocking face's.
    public static let defaultRPCTimeout: Double? = 60

    /// The bound of a wait for the broker named `operation` (nil: none).
    func deadline(_ operation: String) -> ReplyDeadline? {
        ReplyDeadline.bound(rpcTimeout, on: eventLoop, operation: operation)
    }

    /// Whether the connection is open.
    public var isOpen: Bool { select.isOpen }

    /// Whether the connection was lost and is recovering.
    public var isRecovering: Bool { select.isRecovering }

    /// Recovery's progress from now on (started, failed attempts, renamed queues, entities that
    /// could not come back, succeeded). Each access gives a new stream (keeping at most 1024
    /// unread events); it ends when the connection closes.
    public var recoveryEvents: AsyncStream<RecoveryEvent> {
        recoveryNotices.subscribe()
    }

    /// The limits negotiated with the broker (channel-max, frame-max, heartbeat).
    public var limits: NegotiatedLimits? { select.limits }

    /// The broker's properties from connection.start (product, version, capabilities).
    public var serverProperties: FieldTable { select.serverProperties }

    /// Opens a channel.
    ///
    /// - Throws: `ConnectionWrongStateError` when the connection is not open, `NoFreeChannels`,
    ///   what the broker answered, or `CancellationError` (a channel that opens after the
    ///   cancellation is closed again).
    public func channel() async throws -> Channel {
        try await awaitReply(deadline: deadline("channel.open")) { [self] (waiter: ReplyWaiter<Channel>) in
            select.channel(
                onOpen: { [self] selectChannel in
                    let channel = Channel(connection: self, select: selectChannel)
                    if !waiter.resolve(.success(channel)) { selectChannel.close() }
                },
                onOpenError: { error in waiter.resolve(.failure(error)) }
            )
        }
    }

    /// Closes the connection (connection.close, then close-ok) and waits until it is closed.
    /// Its channels close with it (`ChannelClosedByClient`); `closed()` then returns
    /// `ConnectionClosedByClient(replyCode, replyText)`.
    ///
    /// - Throws: `ConnectionWrongStateError` when the connection was already closed;
    ///   `CancellationError` when the task is cancelled while waiting (the close goes on).
    public func close(replyCode: UInt16 = 200, replyText: String = "Normal shutdown") async throws {
        if let reason = closeWatch.reason {
            throw ConnectionWrongStateError(reason: "the connection is already closed (\(reason))")
        }
        select.close(replyCode: replyCode, replyText: replyText)
        if await closeWatch.wait() is CancellationError { throw CancellationError() }
    }

    /// Waits until the connection has ended and returns why: `ConnectionClosedByClient` after
    /// `close()`, `ConnectionClosedByBroker`, `StreamLostError`, `AMQPHeartbeatTimeout`, ...
    /// Returns at once when it has ended already. A cancelled task gets `CancellationError`.
    /// With recovery on (the default), a loss that recovery handles is not an end: this returns
    /// only once recovery gives up (`maxAttempts`) or the connection ends otherwise.
    public func closed() async -> any Error {
        await closeWatch.wait()
    }

    /// The broker's connection.blocked / connection.unblocked notices from now on. Each access
    /// gives a new stream (keeping at most 64 unread notices); it ends when the connection closes.
    public var blockedNotices: AsyncStream<BlockedNotice> {
        notices.subscribe()
    }

    /// Replaces the secret the connection authenticated with (connection.update-secret, for an
    /// expiring OAuth 2 token) and waits for update-secret-ok.
    public func updateSecret(_ newSecret: String, reason: String) async throws {
        let _: AMQP.Connection.UpdateSecretOk = try await awaitReply(deadline: deadline("updateSecret")) { [select] waiter in
            select.updateSecret(newSecret, reason: reason) { waiter.resolve($0) }
        }
    }
}
