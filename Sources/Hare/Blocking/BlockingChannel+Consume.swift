import AMQPProtocol
import NIOCore

/// Callback consumers: `basicConsume`, `basicCancel`, `startConsuming` and `stopConsuming`.
extension BlockingChannel {
    /// Starts a consumer (basic.consume), waits for consume-ok and returns the consumer tag.
    /// `onMessageCallback` receives each message on the application's thread, during
    /// `startConsuming`, `BlockingConnection.processDataEvents` or `sleep`.
    ///
    /// - Parameters:
    ///   - queue: the queue to consume from.
    ///   - onMessageCallback: receives the channel, basic.deliver (delivery tag, redelivered,
    ///     exchange, routing key), the properties and the body.
    ///   - autoAck: the broker considers messages acknowledged once sent.
    ///   - exclusive: no other consumer may use the queue.
    ///   - consumerTag: the tag, or nil for a generated one.
    ///   - arguments: extra arguments (`x-priority`, ...).
    /// - Throws: `DuplicateConsumerTag`, the broker's refusal (`ChannelClosedByBroker`), ...
    @discardableResult
    public func basicConsume(
        queue: String,
        onMessageCallback: @escaping (BlockingChannel, AMQP.Basic.Deliver, AMQP.BasicProperties, ByteBuffer) -> Void,
        autoAck: Bool = false, exclusive: Bool = false, consumerTag: String? = nil, arguments: FieldTable = [:]
    ) throws -> String {
        try core.checkNotOnLoop("basic.consume")
        let tag = consumerTag.flatMap { $0.isEmpty ? nil : $0 } ?? SelectChannel.makeConsumerTag()
        let added = state.withLock { state -> Bool in
            guard state.consumers[tag] == nil, state.generator?.consumerTag != tag else { return false }
            state.consumers[tag] = autoAck
            return true
        }
        guard added else { throw DuplicateConsumerTag(consumerTag: tag) }
        let core = core
        let identity = ObjectIdentifier(self)
        do {
            let ok: AMQP.Basic.ConsumeOk = try call("basic.consume") { [weak self] select, done in
                select.basicConsume(
                    queue: queue,
                    onMessageCallback: { select, deliver, properties, body in
                        guard let self else { return }
                        let reject = { select.basicReject(deliveryTag: deliver.deliveryTag, requeue: true) }
                        core.post(
                            BlockingEvent(
                                delivery: .init(channel: identity, consumerTag: tag, autoAck: autoAck, reject: reject),
                                run: { onMessageCallback(self, deliver, properties, body) }
                            ),
                            routedBy: select.connection.handler
                        )
                    },
                    autoAck: autoAck, exclusive: exclusive, consumerTag: tag, arguments: arguments, callback: done
                )
            }
            return ok.consumerTag
        } catch {
            state.withLock { _ = $0.consumers.removeValue(forKey: tag) }
            throw error
        }
    }

    /// Stops a consumer (basic.cancel) and waits for cancel-ok. Messages that reached the
    /// client but not yet the callback are rejected for requeue (with auto-ack they still reach
    /// the callback: the broker already counts them as acknowledged).
    @discardableResult
    public func basicCancel(consumerTag: String) throws -> AMQP.Basic.CancelOk {
        let ok: AMQP.Basic.CancelOk = try call("basic.cancel") { select, done in
            select.basicCancel(consumerTag: consumerTag, callback: done)
        }
        state.withLock { _ = $0.consumers.removeValue(forKey: consumerTag) }
        _ = core.withdrawDeliveries(channel: ObjectIdentifier(self), consumerTag: consumerTag)
        core.gate.notifyAll()
        return ok
    }

    /// The tags of the active `basicConsume` consumers.
    public var consumerTags: [String] { state.withLock { Array($0.consumers.keys) } }

    /// Runs consumer callbacks (and every other pending callback of the connection) on the
    /// calling thread until no consumer is left on the channel: `stopConsuming` (from a
    /// callback or another thread), `basicCancel`, a broker cancel.
    ///
    /// - Throws: the channel's close error when it closes, the connection's when it closes,
    ///   `ChannelWrongStateError` when called from one of the connection's callbacks (the
    ///   callbacks would nest), `BlockingCallOnEventLoopError`.
    public func startConsuming() throws {
        try core.checkNotOnLoop("startConsuming")
        if core.isDispatching {
            throw ChannelWrongStateError(reason: "startConsuming may not be called from a callback of the same connection")
        }
        try throwIfClosed("startConsuming")
        let core = core
        while !state.withLock({ $0.consumers.isEmpty }) {
            _ = core.gate.wait(until: nil) { [self] in
                core.hasDispatchableEvents || core.closeError != nil || closeReason != nil
                    || state.withLock { $0.consumers.isEmpty }
            }
            core.dispatchPending()
            if let reason = closeReason { throw reason }
            try connection.throwIfClosed()
        }
    }

    /// Cancels the consumer `consumerTag`, or every `basicConsume` consumer of the channel
    /// when nil, so that `startConsuming` returns. Safe to call from a consumer callback.
    public func stopConsuming(consumerTag: String? = nil) throws {
        let tags = consumerTag.map { [$0] } ?? consumerTags
        for tag in tags where !isClosed {
            try basicCancel(consumerTag: tag)
        }
        state.withLock { state in
            for tag in tags { state.consumers[tag] = nil }
        }
        core.gate.notifyAll()
    }
}
