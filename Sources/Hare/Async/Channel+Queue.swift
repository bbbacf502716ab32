import AMQPProtocol

/// Queues: declare, bind, unbind, purge and delete (Pika's `queue_*`, without `no_wait`).
extension Channel {
    /// Declares a queue (queue.declare) and returns declare-ok (name, message and consumer
    /// counts). An empty name asks the broker for one; it is in the reply's `queue`.
    ///
    /// - Parameters:
    ///   - queue: the queue name, or "" for a server-named queue.
    ///   - passive: only check that the queue exists (404 closes the channel if not).
    ///   - durable: survive a broker restart.
    ///   - exclusive: only this connection may use it; deleted when it closes.
    ///   - autoDelete: delete when the last consumer goes.
    ///   - arguments: extra arguments (`x-queue-type`, `x-message-ttl`, ...).
    @discardableResult
    public func queueDeclare(
        queue: String, passive: Bool = false, durable: Bool = false, exclusive: Bool = false, autoDelete: Bool = false,
        arguments: FieldTable = [:]
    ) async throws -> AMQP.Queue.DeclareOk {
        try await call { select, done in
            select.queueDeclare(
                queue: queue, passive: passive, durable: durable, exclusive: exclusive, autoDelete: autoDelete,
                arguments: arguments, callback: done
            )
        }
    }

    /// Binds a queue to an exchange (queue.bind). A nil routing key means the queue name, as in
    /// Pika.
    @discardableResult
    public func queueBind(
        queue: String, exchange: String, routingKey: String? = nil, arguments: FieldTable = [:]
    ) async throws -> AMQP.Queue.BindOk {
        try await call { select, done in
            select.queueBind(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments, callback: done)
        }
    }

    /// Removes a queue binding (queue.unbind). A nil routing key means the queue name.
    @discardableResult
    public func queueUnbind(
        queue: String, exchange: String, routingKey: String? = nil, arguments: FieldTable = [:]
    ) async throws -> AMQP.Queue.UnbindOk {
        try await call { select, done in
            select.queueUnbind(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments, callback: done)
        }
    }

    /// Removes every ready message from a queue (queue.purge); the reply says how many.
    @discardableResult
    public func queuePurge(queue: String) async throws -> AMQP.Queue.PurgeOk {
        try await call { select, done in select.queuePurge(queue: queue, callback: done) }
    }

    /// Deletes a queue (queue.delete); with `ifUnused` only when it has no consumers, with
    /// `ifEmpty` only when it holds no messages. The reply says how many messages it held.
    @discardableResult
    public func queueDelete(queue: String, ifUnused: Bool = false, ifEmpty: Bool = false) async throws -> AMQP.Queue.DeleteOk {
        try await call { select, done in
            select.queueDelete(queue: queue, ifUnused: ifUnused, ifEmpty: ifEmpty, callback: done)
        }
    }
}
