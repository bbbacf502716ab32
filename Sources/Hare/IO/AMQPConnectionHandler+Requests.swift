import AMQPProtocol
import NIOCore

/// The requests the faces make. Call them on the connection's event loop only.
extension AMQPConnectionHandler {
    /// Opens a channel with `number` (or the lowest free one); `completion` gets its number.
    /// A channel reopened by recovery passes its predecessor's `continuation`.
    func openChannel(
        number: UInt16?, delegate: any ChannelDelegate, continuing offsets: TagOffsets = TagOffsets(),
        completion: @escaping (Result<UInt16, any Error>) -> Void
    ) {
        guard finalError == nil, machine.isOpen, let limits else {
            completion(.failure(ConnectionWrongStateError(reason: "a channel needs an open connection")))
            return
        }
        let chosen: UInt16
        if let number {
            guard number > 0, number <= limits.channelMax, channels[number] == nil, !awaitingCloseOk.contains(number) else {
                completion(.failure(ChannelWrongStateError(reason: "channel number \(number) is in use or out of range 1...\(limits.channelMax)")))
                return
            }
            chosen = number
        } else {
            guard let free = freeChannelNumber(limit: limits.channelMax) else {
                completion(.failure(NoFreeChannels(channelMax: limits.channelMax)))
                return
            }
            chosen = free
        }
        let slot = ChannelSlot(number: chosen, delegate: delegate, continuing: offsets)
        channels[chosen] = slot
        let action = slot.machine.open { result in
            completion(result.map { _ in chosen })
        }
        perform(action, on: chosen, slot: slot)
    }

    /// A synchronous method on a channel; `completion` gets the reply.
    func rpc(_ method: AMQP.Method, channel number: UInt16, completion: @escaping RPCCompletion) {
        guard let slot = slot(number, for: method.name, fail: completion) else { return }
        do {
            try checkEncodable(method)
        } catch {
            completion(.failure(error))
            return
        }
        perform(slot.machine.rpc(method, completion), on: number, slot: slot)
    }

    /// An asynchronous method (no-wait variants, cancel-ok, recover-async, ...).
    func send(_ method: AMQP.Method, channel number: UInt16) throws {
        guard let slot = openChannel(number) else { throw closedChannel(number, method.name) }
        try checkEncodable(method)
        let action = try slot.machine.send(method).get()
        perform(action, on: number, slot: slot)
    }

    /// basic.ack, basic.nack, basic.reject: written at once, unless the tag belongs to the
    /// connection a recovery replaced (the broker requeued that delivery already).
    func acknowledge(_ method: AMQP.Method, channel number: UInt16) throws {
        guard let slot = openChannel(number) else { throw closedChannel(number, method.name) }
        guard let wire = try slot.machine.acknowledge(method).get() else {
            logger.debug("\(method.name) for a delivery of the lost connection is dropped", metadata: ["channel": "\(number)"])
            return
        }
        write(method: wire, channel: number)
    }

    /// A publish; returns its sequence number in confirm mode. The request is taken (moved to
    /// the channel's machine and back), not copied.
    func publish(_ request: consuming PublishRequest, channel number: UInt16) throws -> UInt64? {
        guard let slot = openChannel(number) else { throw closedChannel(number, "basic.publish") }
        let layout = try layOut(request)
        return try publish(request, on: slot, channel: number, layout: layout)
    }

    /// Checks what `publish` checks (the channel open, the body under the limit, every value
    /// encodable) without sending anything, and returns the message's layout: a publish with it
    /// in the same loop task, before anything else happens on the channel, does not fail.
    func checkPublish(_ request: borrowing PublishRequest, channel number: UInt16) throws -> AMQPMessageLayout {
        guard let slot = openChannel(number), slot.machine.state == .open || slot.machine.state == .opening else {
            throw closedChannel(number, "basic.publish")
        }
        return try layOut(request)
    }

    /// A publish `checkPublish` laid out.
    func publish(_ request: consuming PublishRequest, channel number: UInt16, layout: AMQPMessageLayout) throws -> UInt64? {
        guard let slot = openChannel(number) else { throw closedChannel(number, "basic.publish") }
        return try publish(request, on: slot, channel: number, layout: layout)
    }

    /// Checks the body against the limit and lays the message out, which checks what could make
    /// encoding it fail; a message that goes out now is written with these sizes.
    @inline(__always)
    private func layOut(_ request: borrowing PublishRequest) throws -> AMQPMessageLayout {
        let limit = parser.maxBodySize
        if request.body.readableBytes > limit {
            throw AMQPProtocolError(.bodyTooLarge(size: UInt64(request.body.readableBytes), limit: limit))
        }
        return try request.layout(frameMax: frameMax)
    }

    /// Hands the publish to the channel's machine, and writes it when it may go out now.
    @inline(__always)
    private func publish(_ request: consuming PublishRequest, on slot: ChannelSlot, channel number: UInt16, layout: AMQPMessageLayout) throws -> UInt64? {
        guard let now = try slot.machine.publish(request) else { return slot.machine.confirms.unconfirmed.last }
        write(publish: now, channel: number, layout: layout)
        return now.sequenceNumber
    }

    /// The sequence number channel `number`'s next publish gets; nil outside confirm mode or
    /// when the channel is not open.
    func nextPublishSequenceNumber(channel number: UInt16) -> UInt64? {
        openChannel(number)?.machine.nextPublishSequenceNumber
    }

    /// Closes a channel; `completion` runs once close-ok arrives.
    func closeChannel(_ number: UInt16, replyCode: UInt16, replyText: String, completion: @escaping RPCCompletion) {
        guard let slot = slot(number, for: "channel.close", fail: completion) else { return }
        perform(slot.machine.close(replyCode: replyCode, replyText: replyText, completion), on: number, slot: slot)
    }

    /// Closes the connection gracefully (close, then close-ok).
    func close(replyCode: UInt16, replyText: String) {
        perform(machine.close(replyCode: replyCode, replyText: replyText))
    }

    /// Sends connection.update-secret.
    func updateSecret(_ secret: ByteBuffer, reason: String, completion: @escaping (Result<Void, any Error>) -> Void) {
        switch machine.updateSecret(secret, reason: reason) {
        case .failure(let error):
            completion(.failure(error))
        case .success(let method):
            updateSecretWaiters.append(completion)
            write(method: method, channel: 0)
        }
    }

    /// Gives up the connection at once (a timeout outside the handler, for example).
    func abort(_ error: any AMQPConnectionError) {
        perform(machine.timedOut(error))
    }

    private func slot(_ number: UInt16, for name: String, fail completion: RPCCompletion) -> ChannelSlot? {
        guard let slot = openChannel(number) else {
            completion(.failure(closedChannel(number, name)))
            return nil
        }
        return slot
    }

    /// The channel's slot while the connection is open; once connection.close is sent nothing but
    /// close-ok may follow, so every request is refused.
    @inline(__always)
    private func openChannel(_ number: UInt16) -> ChannelSlot? {
        requestedSlot(number)
    }

    private func closedChannel(_ number: UInt16, _ name: String) -> any Error {
        if let finalError { return ChannelClosedByConnection(finalError) }
        if !machine.isOpen { return ConnectionWrongStateError(reason: "\(name) on channel \(number): the connection is closing") }
        return ChannelWrongStateError(reason: "\(name) on channel \(number), which is closed")
    }

    private func freeChannelNumber(limit: UInt16) -> UInt16? {
        guard channels.count + awaitingCloseOk.count < Int(limit) else { return nil }
        var candidate = lastChannelNumber
        for _ in 0..<Int(limit) {
            candidate = candidate >= limit ? 1 : candidate + 1
            if channels[candidate] == nil, !awaitingCloseOk.contains(candidate) {
                lastChannelNumber = candidate
                return candidate
            }
        }
        return nil
    }
}
