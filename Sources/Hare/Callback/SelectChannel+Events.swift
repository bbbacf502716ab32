import AMQPProtocol
import NIOCore

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
        consumers[consumerTag] = nil
        let cancel = AMQP.Basic.Cancel(consumerTag: consumerTag, noWait: true)
        for callback in onCancelCallbacks { callback(self, cancel) }
    }

    func channel(_ number: UInt16, flowActive: Bool) {
        for callback in onFlowCallbacks { callback(self, flowActive) }
    }

    func channel(_ number: UInt16, didCloseWith error: any Error, consumers: [String], unconfirmed: [UInt64]) {
        status.withLock { $0 = .closed }
        self.consumers.removeAll()
        connection.channelDidClose(number)
        for callback in onCloseCallbacks { callback(self, error) }
    }
}
