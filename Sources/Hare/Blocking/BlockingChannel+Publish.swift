import AMQPProtocol
import NIOCore

/// Publishing, and publisher confirms that make `basicPublish` wait for the broker's verdict
/// (Pika's `basic_publish` and `confirm_delivery`).
extension BlockingChannel {
    /// Turns on publisher confirms (confirm.select). From then on `basicPublish` waits for the
    /// broker's ack of each message and throws `NackError` on a nack and `UnroutableError` when
    /// a mandatory message comes back.
    @discardableResult
    public func confirmDelivery() throws -> AMQP.Confirm.SelectOk {
        let ok: AMQP.Confirm.SelectOk = try call("confirm.select") { [weak self] select, done in
            select.confirmDelivery(
                ackNackCallback: { _, confirm in self?.didConfirm(confirm) },
                callback: { result in
                    if case .success = result { self?.state.withLock { $0.confirmMode = true } }
                    done(result)
                }
            )
        }
        return ok
    }

    /// Publishes a message (basic.publish with its header and body frames) and waits until
    /// the connection took it; in confirm mode, until the broker acked it. While the broker
    /// reads slower than the script publishes (more than 1 MiB waits unsent, for example under a
    /// memory alarm), the connection takes it only once the socket has drained: memory stays
    /// bounded. A publish whose wait times out while it waits for room is not sent.
    ///
    /// Outside confirm mode the call usually does not wait for the loop at all, as Pika's
    /// `basic_publish` does not: the message is checked at once (what could make encoding it
    /// fail) and handed to the loop, which publishes everything handed over in one turn; at most
    /// 1 MiB of bodies is handed over and not yet written before calls wait again. A publish
    /// handed over while the channel closes is dropped and logged; use `confirmDelivery()` to
    /// know that a message arrived.
    ///
    /// - Throws: `ChannelWrongStateError` when the channel is closed, `AMQPProtocolError` when
    ///   a value cannot be encoded; in confirm mode `NackError` when the broker refused the
    ///   message and `UnroutableError` when it returned a mandatory message (reply code 312
    ///   NO_ROUTE); the channel's close error when it closed before the confirm;
    ///   `BlockingCallTimeout` when the confirm did not come in time (the publish is then
    ///   forgotten: its late ack is ignored).
    public func basicPublish(
        exchange: String, routingKey: String, body: ByteBuffer, properties: AMQP.BasicProperties = AMQP.BasicProperties(),
        mandatory: Bool = false
    ) throws {
        let confirming = isConfirmMode
        if !confirming {
            let request = PublishRequest(exchange: exchange, routingKey: routingKey, body: body, properties: properties, mandatory: mandatory)
            if try selectChannel.handOver(request) != .mustWait { return }
        }
        let operation = confirming ? "basic.publish and its publisher confirm" : "basic.publish"
        // A publish whose confirm wait timed out is forgotten, on the loop, after it was sent.
        let abandon: (Completion<Void>) -> Void = { [self] completion in pendingConfirms.abandon(completion) }
        let _: Void = try core.perform(operation, abandoned: confirming ? abandon : nil) { [self] completion in
            // Write backpressure: the publish waits until the socket has room; one that timed
            // out meanwhile is not sent.
            selectChannel.whenAcceptingPublishes { [self] writable in
                guard !completion.isSettled else { return }
                publishNow(
                    writable, exchange: exchange, routingKey: routingKey, body: body, properties: properties,
                    mandatory: mandatory, confirming: confirming, completion: completion
                )
            }
        }
    }

    /// On the loop, once the socket has room: publishes, and in confirm mode leaves the
    /// completion to the confirm.
    private func publishNow(
        _ writable: Result<Void, any Error>, exchange: String, routingKey: String, body: ByteBuffer,
        properties: AMQP.BasicProperties, mandatory: Bool, confirming: Bool, completion: Completion<Void>
    ) {
        do {
            try writable.get()
            let number = try selectChannel.basicPublish(
                exchange: exchange, routingKey: routingKey, body: body, properties: properties, mandatory: mandatory
            )
            if confirming, let number {
                let sent = mandatory
                    ? BlockingPendingConfirms.Mandatory(exchange: exchange, routingKey: routingKey, body: body) : nil
                pendingConfirms.add(number, mandatory: sent, completion: completion)
            } else {
                completion.resolve(.success(()))
            }
        } catch {
            completion.resolve(.failure(error))
        }
    }

    /// Publishes a message whose body is the UTF-8 of `body`.
    public func basicPublish(
        exchange: String, routingKey: String, body: String, properties: AMQP.BasicProperties = AMQP.BasicProperties(),
        mandatory: Bool = false
    ) throws {
        try basicPublish(exchange: exchange, routingKey: routingKey, body: ByteBuffer(string: body), properties: properties, mandatory: mandatory)
    }

    /// Publishes a message whose body is `body`'s bytes.
    public func basicPublish(
        exchange: String, routingKey: String, body: some Sequence<UInt8>, properties: AMQP.BasicProperties = AMQP.BasicProperties(),
        mandatory: Bool = false
    ) throws {
        try basicPublish(exchange: exchange, routingKey: routingKey, body: ByteBuffer(bytes: body), properties: properties, mandatory: mandatory)
    }

    /// On the loop: an ack or nack resolves the publishes it covers.
    func didConfirm(_ confirm: PublisherConfirm) {
        for (completion, outcome) in pendingConfirms.confirmed(confirm) { completion.resolve(outcome) }
    }

    /// Recovery began with these publishes unconfirmed (loop only).
    func confirmsLost(_ lost: [PublishConfirmLost]) {
        for (completion, outcome) in pendingConfirms.lost(lost) { completion.resolve(outcome) }
    }
}
