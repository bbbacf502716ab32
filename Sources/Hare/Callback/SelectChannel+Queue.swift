import AMQPProtocol

/// Queues: declare, bind, unbind, purge and delete (Pika's `queue_*`).
extension SelectChannel {
    /// Declares a queue (queue.declare). An empty name asks the broker for one; it is in the
    /// reply's `queue`.
    ///
    /// - Parameters:
    ///   - queue: the queue name, or "" for a server-named queue.
    ///   - passive: only check that the queue exists (404 closes the channel if not).
    ///   - durable: survive a broker restart.
    ///   - exclusive: only this connection may use it; deleted when it closes.
    ///   - autoDelete: delete when the last consumer goes.
    ///   - arguments: extra arguments (`x-queue-type`, `x-message-ttl`, ...).
    ///   - noWait: do not wait for declare-ok.
    ///   - callback: receives declare-ok (name, message and consumer counts).
    public func queueDeclare(
        queue: String, passive: Bool = false, durable: Bool = false, exclusive: Bool = false, autoDelete: Bool = false,
        arguments: FieldTable = [:], noWait: Bool = false,
        callback: ((Result<AMQP.Queue.DeclareOk, any Error>) -> Void)? = nil
    ) {
        let method = AMQP.Method.queueDeclare(AMQP.Queue.Declare(
            queue: queue, passive: passive, durable: durable, exclusive: exclusive, autoDelete: autoDelete,
            noWait: noWait, arguments: arguments
        ))
        dispatch(method, noWait: noWait, as: AMQP.Queue.DeclareOk.self, callback: callback)
    }

    /// Binds a queue to an exchange (queue.bind). A nil routing key means the queue name, as in
    /// Pika.
    public func queueBind(
        queue: String, exchange: String, routingKey: String? = nil, arguments: FieldTable = [:], noWait: Bool = false,
        callback: ((Result<AMQP.Queue.BindOk, any Error>) -> Void)? = nil
    ) {
        let method = AMQP.Method.queueBind(AMQP.Queue.Bind(
            queue: queue, exchange: exchange, routingKey: routingKey ?? queue, noWait: noWait, arguments: arguments
        ))
        dispatch(method, noWait: noWait, as: AMQP.Queue.BindOk.self, callback: callback)
    }

    /// Removes a queue binding (queue.unbind). A nil routing key means the queue name.
    public func queueUnbind(
        queue: String, exchange: String, routingKey: String? = nil, arguments: FieldTable = [:],
        callback: ((Result<AMQP.Queue.UnbindOk, any Error>) -> Void)? = nil
    ) {
        let method = AMQP.Method.queueUnbind(AMQP.Queue.Unbind(
            queue: queue, exchange: exchange, routingKey: routingKey ?? queue, arguments: arguments
        ))
        call(method, as: AMQP.Queue.UnbindOk.self, callback: callback)
    }

    /// Removes every ready message from a queue (queue.purge); the reply says how many.
    public func queuePurge(
        queue: String, noWait: Bool = false, callback: ((Result<AMQP.Queue.PurgeOk, any Error>) -> Void)? = nil
    ) {
        let method = AMQP.Method.queuePurge(AMQP.Queue.Purge(queue: queue, noWait: noWait))
        dispatch(method, noWait: noWait, as: AMQP.Queue.PurgeOk.self, callback: callback)
    }

    /// Deletes a queue (queue.delete); with `ifUnused` only when it has no consumers, with
    /// `ifEmpty` only when it holds no messages.
    public func queueDelete(
        queue: String, ifUnused: Bool = false, ifEmpty: Bool = false, noWait: Bool = false,
        callback: ((Result<AMQP.Queue.DeleteOk, any Error>) -> Void)? = nil
    ) {
        let method = AMQP.Method.queueDelete(AMQP.Queue.Delete(queue: queue, ifUnused: ifUnused, ifEmpty: ifEmpty, noWait: noWait))
        dispatch(method, noWait: noWait, as: AMQP.Queue.DeleteOk.self, callback: callback)
    }
}
