import AMQPProtocol

/// Messages: qos, get, ack, nack, reject and recover (Pika's `basic_*`).
extension BlockingChannel {
    /// Limits unacknowledged deliveries (basic.qos): `prefetchCount` messages and
    /// `prefetchSize` bytes (0: no limit), per consumer, or per channel when `globalQos`.
    @discardableResult
    public func basicQos(prefetchSize: UInt32 = 0, prefetchCount: UInt16 = 0, globalQos: Bool = false) throws -> AMQP.Basic.QosOk {
        try call("basic.qos") { select, done in
            select.basicQos(prefetchSize: prefetchSize, prefetchCount: prefetchCount, globalQos: globalQos, callback: done)
        }
    }

    /// Fetches one message (basic.get); nil when the queue is empty. A message that arrives
    /// after the wait timed out (`BlockingCallTimeout`) is rejected with requeue, so it is not
    /// left unacknowledged (with `autoAck` it is lost).
    public func basicGet(queue: String, autoAck: Bool = false) throws -> BasicGetMessage? {
        let select = selectChannel
        return try core.perform("basic.get") { (completion: Completion<BasicGetMessage?>) in
            select.basicGet(queue: queue, autoAck: autoAck) { result in
                // A message that comes after the wait timed out goes back to the queue.
                guard !completion.resolve(result), !autoAck, case .success(let message?) = result else { return }
                select.basicReject(deliveryTag: message.method.deliveryTag, requeue: true)
            }
        }
    }

    /// Acknowledges deliveries (basic.ack): `deliveryTag`, or every one up to it when
    /// `multiple` (tag 0 with `multiple`: every one so far). Does not wait.
    ///
    /// - Throws: `ChannelWrongStateError` when the channel is closed.
    public func basicAck(deliveryTag: UInt64 = 0, multiple: Bool = false) throws {
        try throwIfClosed("basic.ack")
        selectChannel.basicAck(deliveryTag: deliveryTag, multiple: multiple)
    }

    /// Refuses deliveries (basic.nack, a RabbitMQ extension); `requeue` puts them back. Does
    /// not wait.
    ///
    /// - Throws: `ChannelWrongStateError` when the channel is closed.
    public func basicNack(deliveryTag: UInt64 = 0, multiple: Bool = false, requeue: Bool = true) throws {
        try throwIfClosed("basic.nack")
        selectChannel.basicNack(deliveryTag: deliveryTag, multiple: multiple, requeue: requeue)
    }

    /// Refuses one delivery (basic.reject); `requeue` puts it back. Does not wait.
    ///
    /// - Throws: `ChannelWrongStateError` when the channel is closed.
    public func basicReject(deliveryTag: UInt64, requeue: Bool = true) throws {
        try throwIfClosed("basic.reject")
        selectChannel.basicReject(deliveryTag: deliveryTag, requeue: requeue)
    }

    /// Asks the broker to redeliver unacknowledged messages (basic.recover).
    @discardableResult
    public func basicRecover(requeue: Bool = false) throws -> AMQP.Basic.RecoverOk {
        try call("basic.recover") { select, done in select.basicRecover(requeue: requeue, callback: done) }
    }
}
