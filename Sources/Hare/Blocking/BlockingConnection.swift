import AMQPProtocol
import Logging
import NIOCore
import Synchronization

/// Pika's `BlockingConnection`: a connection whose every method waits for its outcome, for
/// scripts and tools.
///
/// ```swift
/// let connection = try BlockingConnection(URLParameters("amqp://guest:guest@localhost/"))
/// let channel = try connection.channel()
/// try channel.queueDeclare(queue: "hello")
/// try channel.basicPublish(exchange: "", routingKey: "hello", body: "Hello World!")
/// try connection.close()
/// ```
///
/// The connection runs on a `SelectConnection` whose event loop has a thread of its own, so
/// heartbeats keep flowing while the application does not call into it. Callbacks the
/// application registers (consumers, timers, `addCallbackThreadsafe`, blocked notices, returned
/// messages) run on the application's thread, inside `processDataEvents`, `sleep`,
/// `startConsuming` or a `consume` iteration, never on the loop. Use a connection from one
/// thread at a time, like Pika's; any thread will do except the loop's own (that throws
/// `BlockingCallOnEventLoopError`). Every wait is bounded, and a close ends every wait with the
/// close error.
public final class BlockingConnection: @unchecked Sendable {
    /// The callback-face connection underneath.
    public let selectConnection: SelectConnection
    let core: BlockingCore
    // Touched on the application's thread only.
    var onBlockedCallbacks: [(BlockingConnection, AMQP.Connection.Blocked) -> Void] = []
    var onUnblockedCallbacks: [(BlockingConnection, AMQP.Connection.Unblocked) -> Void] = []
    var onRecoveryCallbacks: [(BlockingConnection, RecoveryEvent) -> Void] = []

    /// Opens a connection with one parameter set and waits until it is open.
    ///
    /// - Throws: what the connection workflow reports when it cannot be opened
    ///   (`ProbableAuthenticationError`, `ProbableAccessDeniedError`,
    ///   `AMQPConnectionWorkflowFailed`, ...), or `BlockingCallOnEventLoopError`.
    /// - Parameters:
    ///   - parameters: where and how to connect.
    ///   - logger: where the connection logs.
    ///   - recovery: how the connection recovers once lost (off by default, as in Pika). While
    ///     it recovers, calls wait for it per `RecoveryOptions.whileRecovering`, and
    ///     `processDataEvents` keeps consumers' callbacks coming once it is back.
    public convenience init(
        _ parameters: some ConnectionParametersConvertible = ConnectionParameters(), logger: Logger = Logger(label: "hare"),
        recovery: RecoveryOptions = .disabled
    ) throws {
        try self.init([parameters], logger: logger, recovery: recovery)
    }

    /// Opens a connection trying each parameter set in order until one connects, and waits
    /// until it is open.
    ///
    /// - Throws: see `init(_:logger:recovery:)`.
    public convenience init(
        _ parameters: [any ConnectionParametersConvertible], logger: Logger = Logger(label: "hare"),
        recovery: RecoveryOptions = .disabled
    ) throws {
        try self.init(parameters, logger: logger, rpcTimeout: nil, recovery: recovery)
    }

    /// Opens a connection; `rpcTimeout` replaces the bound of every RPC and confirm wait (for
    /// tests that need a wait to time out).
    init(
        _ parameters: [any ConnectionParametersConvertible], logger: Logger, rpcTimeout: Double?,
        recovery: RecoveryOptions = .disabled
    ) throws {
        let candidates = parameters.map(\.connectionParameters)
        let opened = Completion<Void>()
        let select = SelectConnection(
            parameters: candidates, onOpen: { _ in opened.resolve(.success(())) },
            onOpenError: { _, error in opened.resolve(.failure(error)) }, logger: logger, recovery: recovery
        )
        selectConnection = select
        core = BlockingCore(
            eventLoop: select.ioloop.eventLoop, logger: select.logger,
            rpcTimeout: rpcTimeout ?? Self.rpcTimeout(for: candidates)
        )
        let core = core
        select.addOnCloseCallback { _, error in core.connectionClosed(error) }
        do {
            try core.checkNotOnLoop("BlockingConnection.init")
            try opened.wait(seconds: Self.openTimeout(for: candidates), operation: "opening the connection")
        } catch {
            select.close()
            select.ioloop.close()
            throw error
        }
    }

    deinit {
        if !isClosed { selectConnection.close() }
        selectConnection.ioloop.close()
    }

    /// Whether the connection is open.
    public var isOpen: Bool { selectConnection.isOpen && core.closeError == nil }
    /// Whether the connection is closed (also after a `close()` the broker did not confirm in
    /// time).
    public var isClosed: Bool { selectConnection.isClosed || core.closeError != nil }
    /// Why the connection closed (`ConnectionClosedByClient`, `ConnectionClosedByBroker`,
    /// `StreamLostError`, `AMQPHeartbeatTimeout`, ...); nil while it is open.
    public var closeReason: (any Error)? { core.closeError }
    /// How long a blocking RPC or publisher confirm may take before `BlockingCallTimeout`:
    /// the larger of 60 s and the parameters' `stackTimeout`.
    public var rpcTimeout: Double { core.rpcTimeout }

    /// Opens a channel and waits until the broker confirms it.
    ///
    /// - Throws: `ConnectionWrongStateError` when the connection is not open, `NoFreeChannels`,
    ///   the broker's refusal, or `BlockingCallOnEventLoopError`.
    public func channel(channelNumber: UInt16? = nil) throws -> BlockingChannel {
        let select = selectConnection
        // The channel is made on the loop, in onOpen, so its callbacks are in place before any
        // event of the channel can arrive.
        return try core.perform("channel.open", scope: .connection) { [self] completion in
            select.channel(channelNumber: channelNumber, onOpen: { [self] opened in
                completion.resolve(.success(BlockingChannel(opened, connection: self)))
            }, onOpenError: { completion.resolve(.failure($0)) })
        }
    }

    /// Closes the connection (its channels with it) and waits until the broker confirms; the
    /// loop's thread ends. The connection is closed afterwards even when the broker did not
    /// confirm in time: later calls throw `ConnectionWrongStateError` (or
    /// `ChannelWrongStateError` on its channels) at once.
    ///
    /// - Throws: `ConnectionWrongStateError` when the connection is already closed,
    ///   `BlockingCallTimeout` when the broker did not confirm within `rpcTimeout` (the
    ///   connection's resources are released all the same), `BlockingCallOnEventLoopError`.
    public func close(replyCode: UInt16 = 200, replyText: String = "Normal shutdown") throws {
        try core.checkNotOnLoop("BlockingConnection.close")
        guard !selectConnection.isClosed, core.closeError == nil else {
            selectConnection.ioloop.close()
            throw ConnectionWrongStateError(reason: "close() called on a closed connection")
        }
        let core = core
        selectConnection.close(replyCode: replyCode, replyText: replyText)
        let closed = core.gate.wait(until: .after(seconds: core.rpcTimeout)) { core.closeError != nil }
        if !closed {
            // The loop goes away with the close unfinished: the connection counts as closed by
            // the application from now on, so that no later call waits for an answer.
            core.connectionClosed(ConnectionClosedByClient(replyCode: replyCode, replyText: replyText))
        }
        selectConnection.ioloop.close()
        if !closed { throw BlockingCallTimeout(operation: "connection.close", seconds: core.rpcTimeout) }
    }

    static func rpcTimeout(for candidates: [ConnectionParameters]) -> Double {
        let stack = candidates.compactMap(\.stackTimeout).max() ?? 0
        return Swift.max(60, stack)
    }

    /// Generous: every attempt of every candidate timing out, plus the retry delays.
    static func openTimeout(for candidates: [ConnectionParameters]) -> Double {
        let total = candidates.reduce(0.0) { sum, parameters in
            let attempt = (parameters.socketTimeout ?? 30) + (parameters.stackTimeout ?? 30) + parameters.retryDelay
            return sum + attempt * Double(Swift.max(parameters.connectionAttempts, 1))
        }
        return total + 30
    }
}
