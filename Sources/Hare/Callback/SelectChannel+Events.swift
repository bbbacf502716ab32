import AMQPProtocol
import NIOCore
import Synchronization

/// What the connection handler tells the channel, dispatched to the application's callbacks.
extension SelectChannel: ChannelDelegate {
    func channel(_ number: UInt16, didDeliver message: ContentMessage) {
        guard case .deliver(let deliver) = message.method else { return }
        if let lastConsumer, lastConsumer.tag == deliver.consumerTag {
            lastConsumer.onMessage(self, deliver, message.properties, message.body)
            return
        }
        guard let consumer = consumers[deliver.consumerTag] else {
            logger.warning("a delivery for consumer '\(deliver.consumerTag)' with no callback")
            return
        }
        lastConsumer = (deliver.consumerTag, consumer)
        consumer(self, deliver, message.properties, message.body)
    }

    func channel(_ number: UInt16, didReturn message: ContentMessage) {
        guard case .returned(let returned) = message.method else { return }
        if onReturnCallbacks.isEmpty {
            logger.warning("a returned message with no return callback", metadata: [
                "reply_code": "\(returned.replyCode)", "exchange": "\(returned.exchange)", "routing_key": "\(returned.routingKey)",
            ])
        }
        for callback in onReturnCallbacks { callback(self, returned, message.properties, message.body) }
    }

    func channel(_ number: UInt16, didConfirm confirm: ConfirmEvent) {
        ackNackCallback?(self, PublisherConfirm(confirm))
    }

    func channel(_ number: UInt16, consumerCancelledByBroker consumerTag: String) {
        connection.topology.forgetConsumer(consumerTag, on: number)
        consumers[consumerTag] = nil
        let cancel = AMQP.Basic.Cancel(consumerTag: consumerTag, noWait: true)
        for callback in onCancelCallbacks { callback(self, cancel) }
    }

    func channel(_ number: UInt16, flowActive: Bool) {
        for callback in onFlowCallbacks { callback(self, flowActive) }
    }

    func channel(
        _ number: UInt16, didCloseWith error: any Error, consumers: [String], unconfirmed: [UInt64], continuation: TagOffsets
    ) {
        // Numbers handed out for publishes that never went out (the numbers after the channel's
        // last) are lost too, and a replacement's numbers start after them.
        var unconfirmed = unconfirmed
        var continuation = continuation
        if let next = handoff.stopNumbering(), next > continuation.publish + 1 {
            unconfirmed += Array((continuation.publish + 1)..<next)
            continuation.publish = next - 1
        }
        // Already closed for good (the application closed it while recovery reopened it, or it
        // could not be reopened): its close was reported then.
        guard status.current != .closed else { return }
        let waitsForRecovery = connection.handlerLost && status.update { status in
            guard status == .open || status == .recovering else { return false }
            status = .recovering
            return true
        }
        guard waitsForRecovery else {
            status.set(.closed)
            self.consumers.removeAll()
            connection.channelDidClose(number)
            for callback in onCloseCallbacks { callback(self, error) }
            return
        }
        // The connection was lost and recovers: the channel keeps its consumers and callbacks
        // and comes back with the same number. What the broker never confirmed is reported lost.
        self.continuation = continuation
        lastConsumer = nil
        if connection.topology.settings(of: number).transactional { transactionLost = true }
        guard !unconfirmed.isEmpty else { return }
        let reason = (error as? ChannelClosedByConnection).map { "\($0.connectionError)" } ?? "\(error)"
        let lost = unconfirmed.map { PublishConfirmLost(sequenceNumber: $0, reason: reason) }
        for callback in onConfirmsLostCallbacks { callback(self, lost) }
    }

    // MARK: Recovery

    /// Recovery reopened the channel; false when the application closed it meanwhile.
    func reopened() -> Bool {
        status.update { status in
            guard status == .recovering else { return false }
            status = .open
            return true
        }
    }

    /// The channel will not come back (the connection closed for good, the application closed
    /// it, or it could not be reopened): it closes with `error`.
    func recoveryEnded(_ error: any Error) {
        status.set(.closed)
        consumers.removeAll()
        if connection.channels[channelNumber] === self { connection.channelDidClose(channelNumber) }
        for callback in onCloseCallbacks { callback(self, error) }
    }

    /// Recovery could not restart consumer `consumerTag` (its queue is gone, the filter left it
    /// out, the broker refused it): the application hears it as a cancel from the broker.
    func consumerLost(_ consumerTag: String) {
        guard consumers.removeValue(forKey: consumerTag) != nil else { return }
        let cancel = AMQP.Basic.Cancel(consumerTag: consumerTag, noWait: true)
        for callback in onCancelCallbacks { callback(self, cancel) }
    }

    /// Drops, as `consumerLost`, every consumer recovery does not restart.
    func dropConsumers(except kept: Set<String>) {
        for tag in consumers.keys.sorted() where !kept.contains(tag) { consumerLost(tag) }
    }
}
