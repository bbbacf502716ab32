import AMQPProtocol
import NIOCore

/// Pika's `BlockingChannel`: a channel of a `BlockingConnection` whose every method waits for
/// the broker's reply and returns it (`try channel.queueDeclare(queue: "")` returns
/// `AMQP.Queue.DeclareOk`) or throws why it never came (`ChannelClosedByBroker` and friends,
/// `ChannelWrongStateError` when the channel is already closed).
///
/// Consumer callbacks, returned messages and broker cancels reach the application's thread
/// during `startConsuming`, `BlockingConnection.processDataEvents`, `sleep` or a `consume`
/// iteration. Use a channel from one thread at a time, never from the connection's loop.
public final class BlockingChannel: @unchecked Sendable {
    /// The messages a `consume` sequence holds until they are taken.
    struct Generator {
        var consumerTag: String
        var queue: String
        var autoAck: Bool
        var exclusive: Bool
        var arguments: FieldTable
        var buffer: [(AMQP.Basic.Deliver, AMQP.BasicProperties, ByteBuffer)] = []
        /// Head of `buffer`: taken messages before it.
        var head = 0
        /// The broker cancelled the consumer or the channel closed: the sequence ends once drained.
        var ended = false
    }

    struct State {
        var closeReason: (any Error)?
        /// `basicConsume` consumers that are active, with their auto-ack flag.
        var consumers: [String: Bool] = [:]
        var confirmMode = false
        var generator: Generator?
    }

    /// The callback-face channel underneath.
    public let selectChannel: SelectChannel
    /// The connection the channel belongs to.
    public let connection: BlockingConnection
    let core: BlockingCore
    let state = Guarded(State())
    // Touched on the loop only.
    var pendingConfirms = BlockingPendingConfirms()
    // Touched on the application's thread only.
    var onReturnCallbacks: [(BlockingChannel, AMQP.Basic.Return, AMQP.BasicProperties, ByteBuffer) -> Void] = []
    var onCancelCallbacks: [(BlockingChannel, AMQP.Basic.Cancel) -> Void] = []

    init(_ selectChannel: SelectChannel, connection: BlockingConnection) {
        self.selectChannel = selectChannel
        self.connection = connection
        core = connection.core
        selectChannel.addOnCloseCallback { [weak self] _, error in self?.didClose(error) }
        selectChannel.addOnReturnCallback { [weak self] _, returned, properties, body in
            self?.didReturn(returned, properties: properties, body: body)
        }
        selectChannel.addOnCancelCallback { [weak self] _, cancel in self?.consumerCancelledByBroker(cancel) }
        selectChannel.addOnConfirmsLostCallback { [weak self] _, lost in self?.confirmsLost(lost) }
    }

    /// The channel number.
    public var channelNumber: UInt16 { selectChannel.channelNumber }
    /// Whether the channel is open.
    public var isOpen: Bool { selectChannel.isOpen && core.closeError == nil }
    /// Whether the channel is closed (also once its connection is).
    public var isClosed: Bool { selectChannel.isClosed || core.closeError != nil }
    /// Why the channel closed (`ChannelClosedByBroker`, `ChannelClosedByClient`,
    /// `ChannelClosedByConnection`); nil while it is open.
    public var closeReason: (any Error)? { state.withLock { $0.closeReason } }
    /// Whether `confirmDelivery()` turned on publisher confirms.
    public var isConfirmMode: Bool { state.withLock { $0.confirmMode } }

    /// Closes the channel (channel.close, then close-ok) and waits for it.
    ///
    /// - Throws: `ChannelWrongStateError` when the channel is already closed.
    public func close(replyCode: UInt16 = 200, replyText: String = "Normal shutdown") throws {
        try core.checkNotOnLoop("BlockingChannel.close")
        guard !isClosed else {
            throw ChannelWrongStateError(reason: "close() called on a closed channel")
        }
        selectChannel.close(replyCode: replyCode, replyText: replyText)
        let closed = core.gate.wait(until: .after(seconds: core.rpcTimeout)) { [self] in
            closeReason != nil || core.closeError != nil
        }
        if !closed { throw BlockingCallTimeout(operation: "channel.close", seconds: core.rpcTimeout) }
    }

    /// Adds a callback for messages the broker returns (basic.return of an unroutable mandatory
    /// publish), run on the application's thread. In confirm mode `basicPublish` throws
    /// `UnroutableError` instead.
    public func addOnReturnCallback(
        _ callback: @escaping (BlockingChannel, AMQP.Basic.Return, AMQP.BasicProperties, ByteBuffer) -> Void
    ) {
        onReturnCallbacks.append(callback)
    }

    /// Adds a callback for consumers the broker cancels (basic.cancel, for example when their
    /// queue is deleted), run on the application's thread.
    public func addOnCancelCallback(_ callback: @escaping (BlockingChannel, AMQP.Basic.Cancel) -> Void) {
        onCancelCallbacks.append(callback)
    }

    /// Asks the broker to pause (false) or resume (true) deliveries (channel.flow) and returns
    /// its flow-ok `active`.
    @discardableResult
    public func flow(active: Bool) throws -> Bool {
        try call("channel.flow") { select, done in select.flow(active: active, callback: done) }
    }

    // MARK: Plumbing

    /// Runs one callback-face RPC on the loop and waits for its reply.
    func call<Reply>(
        _ operation: String, _ start: @escaping (SelectChannel, @escaping (Result<Reply, any Error>) -> Void) -> Void
    ) throws -> Reply {
        let select = selectChannel
        return try core.perform(operation) { completion in
            start(select) { completion.resolve($0) }
        }
    }

    /// Throws when the channel is closed: why it closed, or `ChannelWrongStateError`.
    func throwIfClosed(_ operation: String) throws {
        if let reason = closeReason ?? core.closeError {
            throw ChannelWrongStateError(reason: "\(operation) on a closed channel (\(reason))")
        }
    }

    // MARK: Events from the loop

    private func didClose(_ error: any Error) {
        let pending = pendingConfirms.removeAll()
        state.withLock { state in
            state.closeReason = error
            state.consumers.removeAll()
            state.generator?.ended = true
        }
        for completion in pending { completion.resolve(.failure(error)) }
        core.gate.notifyAll()
    }

    private func didReturn(_ returned: AMQP.Basic.Return, properties: AMQP.BasicProperties, body: ByteBuffer) {
        // In confirm mode a return of a waiting mandatory publish fails that publish instead.
        if state.withLock({ $0.confirmMode }), pendingConfirms.returned(returned, body: body) { return }
        core.post(BlockingEvent(run: { [self] in
            if onReturnCallbacks.isEmpty {
                core.logger.warning("a returned message with no return callback", metadata: [
                    "reply_code": "\(returned.replyCode)", "routing_key": "\(returned.routingKey)",
                ])
            }
            for callback in onReturnCallbacks { callback(self, returned, properties, body) }
        }))
    }

    private func consumerCancelledByBroker(_ cancel: AMQP.Basic.Cancel) {
        state.withLock { state in
            state.consumers[cancel.consumerTag] = nil
            if state.generator?.consumerTag == cancel.consumerTag { state.generator?.ended = true }
        }
        core.post(BlockingEvent(run: { [self] in
            for callback in onCancelCallbacks { callback(self, cancel) }
        }))
    }
}
