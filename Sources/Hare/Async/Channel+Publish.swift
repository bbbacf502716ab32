import AMQPProtocol
import NIOCore

/// Publishing: `basicPublish` hands the message to the connection; `publish` (confirm mode)
/// waits for the broker's confirm.
extension Channel {
    /// Publishes a message (basic.publish with its header and body frames). The frames of one
    /// message are never interleaved with another's, whatever the number of tasks publishing at
    /// once, and one task's messages go out in the order it published them. The call usually
    /// returns at once, in confirm mode too (see below).
    ///
    /// Backpressure: while the broker reads slower than the application publishes (more than
    /// 1 MiB waits unsent, for example under a memory alarm), the call waits until the socket
    /// drains, so a fast publisher's memory stays bounded. Waiting publishes go out in the order
    /// they came.
    ///
    /// The call usually does not wait for the loop at all: the message is checked at once (what
    /// could make encoding it fail) and handed to the loop, which publishes everything handed
    /// over in one turn; at most 1 MiB of bodies is handed over and not yet written before calls
    /// wait again. In confirm mode the message gets its sequence number as it is handed over:
    /// the channel sends what was handed over in that order, and a mandatory one is kept (as the
    /// loop takes it) for `publish` to tell its basic.return from theirs. A publish while the
    /// connection recovers waits for the loop.
    ///
    /// A publish handed over while the channel closes is dropped and logged, as one written just
    /// before the close would be lost; in confirm mode its sequence number gets no confirm (with
    /// recovery, the channel reports it among the lost confirms). Use confirm mode to know that a
    /// message arrived.
    ///
    /// - Returns: the publish sequence number in confirm mode, nil otherwise.
    /// - Throws: `ChannelWrongStateError` when the channel is closed or closing,
    ///   `AMQPProtocolError` when a value cannot be encoded (nothing is sent then), the
    ///   connection's close reason when it ends while the publish waits, `CancellationError`
    ///   when the task is cancelled while it waits and `RPCTimeoutError` when the socket did not
    ///   drain within the connection's `rpcTimeout` (the message is then not sent, unless the
    ///   cancellation crossed the moment it went out).
    @discardableResult
    nonisolated(nonsending) public func basicPublish(
        exchange: String, routingKey: String, body: ByteBuffer, properties: AMQP.BasicProperties = AMQP.BasicProperties(),
        mandatory: Bool = false
    ) async throws -> UInt64? {
        let request = PublishRequest(exchange: exchange, routingKey: routingKey, body: body, properties: properties, mandatory: mandatory)
        let offer = try select.handOver(request)
        if offer != .mustWait { return offer.number }
        return try await awaitReply { [self] (waiter: ReplyWaiter<UInt64?>) in
            eventLoop.execute { [self] in
                select.whenAcceptingPublishes { [self] writable in
                    guard waiter.isPending else { return }
                    waiter.resolve(writable.flatMap {
                        Result {
                            try publishOnLoop(
                                exchange: exchange, routingKey: routingKey, body: body, properties: properties, mandatory: mandatory
                            )
                        }
                    })
                }
                // Only a publish that has to wait for the socket gets a timer: the usual one went
                // out above, and the hot path stays free of timers.
                if waiter.isPending, let deadline = connection.deadline("basicPublish") {
                    _ = deadline.schedule { waiter.resolve(.failure(deadline.error)) }
                }
            }
        }
    }

    /// Publishes a message whose body is the UTF-8 of `body`.
    @discardableResult
    nonisolated(nonsending) public func basicPublish(
        exchange: String, routingKey: String, body: String, properties: AMQP.BasicProperties = AMQP.BasicProperties(),
        mandatory: Bool = false
    ) async throws -> UInt64? {
        try await basicPublish(exchange: exchange, routingKey: routingKey, body: ByteBuffer(string: body), properties: properties, mandatory: mandatory)
    }

    /// Publishes a message whose body is `body`'s bytes.
    @discardableResult
    nonisolated(nonsending) public func basicPublish(
        exchange: String, routingKey: String, body: some Sequence<UInt8>, properties: AMQP.BasicProperties = AMQP.BasicProperties(),
        mandatory: Bool = false
    ) async throws -> UInt64? {
        try await basicPublish(exchange: exchange, routingKey: routingKey, body: ByteBuffer(bytes: body), properties: properties, mandatory: mandatory)
    }

    /// Publishes a message in confirm mode and waits for the broker's confirm. Any number of
    /// publishes may wait at once, from any number of tasks (a confirm window); each is resolved
    /// by the ack or nack that covers its sequence number (one `multiple` ack resolves many).
    ///
    /// A mandatory message that no queue takes comes back (basic.return) just before its ack.
    /// The return is matched to the oldest mandatory publish still awaiting its confirm with the
    /// same exchange, routing key and body (RabbitMQ handles a channel's publishes in order), and
    /// that publish throws `UnroutableError` when its ack comes.
    ///
    /// - Throws: `NackError` when the broker refuses the message, `UnroutableError` when a
    ///   mandatory message comes back, `ChannelWrongStateError` outside confirm mode (call
    ///   `confirmSelect()` first; nothing is sent) or on a closed channel, the channel's close
    ///   reason when it closes before the confirm, `CancellationError` when the task is
    ///   cancelled and `RPCTimeoutError` when no confirm came within the connection's
    ///   `rpcTimeout` (either way the message may still have been published).
    public func publish(
        exchange: String, routingKey: String, body: ByteBuffer, properties: AMQP.BasicProperties = AMQP.BasicProperties(),
        mandatory: Bool = false
    ) async throws {
        let box = LoopConfined(value: self)
        let deadline = connection.deadline("publish")
        // The wait's bound is kept with every other publish's, under one timer (see
        // `ReplyDeadlineQueue`), not given a timer of its own.
        try await awaitReply { [eventLoop] (waiter: ReplyWaiter<Void>) in
            eventLoop.execute {
                if let deadline { box.value.state.value.confirmDeadlines.add(waiter, deadline) }
                guard box.value.state.value.confirmMode else {
                    waiter.resolve(.failure(ChannelWrongStateError(reason: "publish(...) waits for a confirm: call confirmSelect() first")))
                    return
                }
                box.value.select.whenAcceptingPublishes { writable in
                    guard waiter.isPending else { return }
                    let channel = box.value
                    do {
                        try writable.get()
                        guard let number = try channel.publishOnLoop(
                            exchange: exchange, routingKey: routingKey, body: body, properties: properties, mandatory: mandatory
                        ) else {
                            throw ChannelWrongStateError(reason: "basic.publish got no sequence number in confirm mode")
                        }
                        channel.state.value.confirmWaiters[number] = waiter
                    } catch {
                        waiter.resolve(.failure(error))
                    }
                }
            }
        }
    }

    /// Publishes, in confirm mode, a message whose body is the UTF-8 of `body`, and waits for its
    /// confirm.
    public func publish(
        exchange: String, routingKey: String, body: String, properties: AMQP.BasicProperties = AMQP.BasicProperties(),
        mandatory: Bool = false
    ) async throws {
        try await publish(exchange: exchange, routingKey: routingKey, body: ByteBuffer(string: body), properties: properties, mandatory: mandatory)
    }

    /// Publishes, in confirm mode, a message whose body is `body`'s bytes, and waits for its
    /// confirm.
    public func publish(
        exchange: String, routingKey: String, body: some Sequence<UInt8>, properties: AMQP.BasicProperties = AMQP.BasicProperties(),
        mandatory: Bool = false
    ) async throws {
        try await publish(exchange: exchange, routingKey: routingKey, body: ByteBuffer(bytes: body), properties: properties, mandatory: mandatory)
    }

    /// Publishes now; remembers a mandatory publish in confirm mode for return matching. Loop
    /// only.
    func publishOnLoop(
        exchange: String, routingKey: String, body: ByteBuffer, properties: AMQP.BasicProperties, mandatory: Bool
    ) throws -> UInt64? {
        try checkOpen("basic.publish")
        let number = try select.basicPublish(
            exchange: exchange, routingKey: routingKey, body: body, properties: properties, mandatory: mandatory
        )
        if mandatory, let number {
            state.value.keepMandatory(number, exchange: exchange, routingKey: routingKey, body: body)
        }
        return number
    }
}
