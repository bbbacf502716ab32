import AMQPProtocol
import NIOCore

/// basic.qos, basic.get, basic.recover and acknowledgements (Pika's `basic_*`).
extension Channel {
    /// Limits unacknowledged deliveries (basic.qos): `prefetchCount` messages and
    /// `prefetchSize` bytes (0: no limit), per consumer, or per channel when `globalQos`.
    @discardableResult
    public func basicQos(prefetchSize: UInt32 = 0, prefetchCount: UInt16 = 0, globalQos: Bool = false) async throws -> AMQP.Basic.QosOk {
        try await call { select, done in
            select.basicQos(prefetchSize: prefetchSize, prefetchCount: prefetchCount, globalQos: globalQos, callback: done)
        }
    }

    /// Fetches one message (basic.get); nil when the queue is empty.
    ///
    /// When the task is cancelled before the message arrives, a message that arrives anyway is
    /// rejected with requeue, so it is not left unacknowledged (with `autoAck` the broker
    /// considers it delivered: it is lost).
    public func basicGet(queue: String, autoAck: Bool = false) async throws -> BasicGetMessage? {
        try await awaitReply(deadline: connection.deadline("basicGet")) { [select] (waiter: ReplyWaiter<BasicGetMessage?>) in
            select.basicGet(queue: queue, autoAck: autoAck) { [select] result in
                guard !waiter.resolve(result), !autoAck, case .success(let message?) = result else { return }
                select.basicReject(deliveryTag: message.method.deliveryTag, requeue: true)
            }
        }
    }

    /// Asks the broker to redeliver unacknowledged messages (basic.recover).
    @discardableResult
    public func basicRecover(requeue: Bool = false) async throws -> AMQP.Basic.RecoverOk {
        try await call { select, done in select.basicRecover(requeue: requeue, callback: done) }
    }

    /// Acknowledges a delivery (basic.ack); with `multiple`, every one up to `deliveryTag`.
    /// Returns at once: the ack is handed to the connection's loop, which sends it in order with
    /// everything else handed over (nothing answers an ack). An ack for a delivery of a
    /// connection that was lost since is dropped (the broker requeued the message already).
    ///
    /// - Throws: `ChannelWrongStateError` when the channel is closed or closing.
    nonisolated(nonsending) public func basicAck(deliveryTag: UInt64 = 0, multiple: Bool = false) async throws {
        try acknowledge(.basicAck(AMQP.Basic.Ack(deliveryTag: deliveryTag, multiple: multiple)))
    }

    /// Refuses deliveries (basic.nack, a RabbitMQ extension); `requeue` puts them back.
    ///
    /// - Throws: `ChannelWrongStateError` when the channel is closed or closing.
    nonisolated(nonsending) public func basicNack(deliveryTag: UInt64 = 0, multiple: Bool = false, requeue: Bool = true) async throws {
        try acknowledge(.basicNack(AMQP.Basic.Nack(deliveryTag: deliveryTag, multiple: multiple, requeue: requeue)))
    }

    /// Refuses one delivery (basic.reject); `requeue` puts it back.
    ///
    /// - Throws: `ChannelWrongStateError` when the channel is closed or closing.
    nonisolated(nonsending) public func basicReject(deliveryTag: UInt64, requeue: Bool = true) async throws {
        try acknowledge(.basicReject(AMQP.Basic.Reject(deliveryTag: deliveryTag, requeue: requeue)))
    }

    /// Checks that the channel is open, then hands the acknowledgement to the loop without
    /// waiting for it (`LoopHandoff`): nothing answers an ack, so waiting for the loop would
    /// only cost two thread hand-offs per message.
    private func acknowledge(_ method: AMQP.Method) throws {
        try checkOpen(method.name)
        select.acknowledge(method)
    }

    /// Writes an ack, nack or reject now. Loop only.
    func acknowledgeOnLoop(_ method: AMQP.Method) throws {
        try checkOpen(method.name)
        if select.dropsAcknowledgement(method) { return }
        guard let handler = select.connection.handler else {
            throw ChannelWrongStateError(reason: "\(method.name): the connection is not open")
        }
        try handler.acknowledge(method, channel: select.channelNumber)
    }
}
