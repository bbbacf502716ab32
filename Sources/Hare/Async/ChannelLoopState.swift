import AMQPProtocol
import NIOCore

/// What a `Channel` keeps on its connection's loop: the publishes waiting for their confirm, the
/// mandatory ones a basic.return may belong to, and the consumers.
final class ChannelLoopState {
    /// A mandatory publish in confirm mode that may still come back.
    struct MandatoryPublish {
        var sequenceNumber: UInt64
        var exchange: String
        var routingKey: String
        var body: ByteBuffer
    }

    /// confirm.select was asked for.
    var confirmMode = false
    /// Tasks in `publish(...)` waiting for the confirm of their sequence number.
    var confirmWaiters: [UInt64: ReplyWaiter<Void>] = [:]
    /// When each `publish(...)` stops waiting (the connection's `rpcTimeout`), one timer for all.
    let confirmDeadlines = ReplyDeadlineQueue()
    /// Mandatory publishes awaiting their confirm and not yet matched to a return, in order.
    var mandatory = CircularBuffer<MandatoryPublish>()
    /// Publishes matched to a return: their ack becomes `UnroutableError`.
    var unroutable: [UInt64: UnroutableError] = [:]
    /// The consumers by tag.
    var consumers: [String: ConsumerSource] = [:]
    /// Why the channel closed, once it has.
    var closeReason: (any Error)?

    /// Keeps a mandatory publish that went out (or is about to) with sequence number `number`,
    /// for `returned` to match its basic.return to. In number order.
    func keepMandatory(_ number: UInt64, exchange: String, routingKey: String, body: ByteBuffer) {
        mandatory.append(MandatoryPublish(sequenceNumber: number, exchange: exchange, routingKey: routingKey, body: body))
    }

    /// A confirm: resolves the waiting publishes it covers.
    func confirmed(_ confirm: PublisherConfirm) {
        for tag in confirm.deliveryTags {
            let returned = unroutable.removeValue(forKey: tag)
            if !mandatory.isEmpty { forgetMandatory(tag) }
            guard let waiter = confirmWaiters.removeValue(forKey: tag) else { continue }
            if !confirm.isAck {
                waiter.resolve(.failure(NackError(deliveryTag: tag)))
            } else if let returned {
                waiter.resolve(.failure(returned))
            } else {
                waiter.resolve(.success(()))
            }
        }
        confirmDeadlines.dropSettled()
    }

    /// A basic.return. RabbitMQ handles a channel's publishes in order and sends the return of
    /// an unroutable mandatory message before its ack, so the return belongs to the oldest
    /// mandatory publish still awaiting its confirm with the same exchange, routing key and body;
    /// that publish's ack then becomes `UnroutableError`.
    func returned(_ message: BasicReturnMessage) {
        guard let index = mandatory.firstIndex(where: {
            $0.exchange == message.method.exchange && $0.routingKey == message.method.routingKey && $0.body == message.body
        }) else { return }
        let publish = mandatory.remove(at: index)
        unroutable[publish.sequenceNumber] = UnroutableError(
            replyCode: message.method.replyCode, replyText: message.method.replyText,
            exchange: message.method.exchange, routingKey: message.method.routingKey
        )
    }

    func consumerCancelledByBroker(_ consumerTag: String) {
        consumers.removeValue(forKey: consumerTag)?.finish(ConsumerCancelled(consumerTag: consumerTag), cancelledOnBroker: true)
    }

    /// The connection was lost and recovers: the publishes still waiting for their confirm
    /// fail with `PublishConfirmLost` (the application may republish them).
    func confirmsLost(_ lost: [PublishConfirmLost]) {
        for error in lost {
            unroutable[error.sequenceNumber] = nil
            forgetMandatory(error.sequenceNumber)
            confirmWaiters.removeValue(forKey: error.sequenceNumber)?.resolve(.failure(error))
        }
        confirmDeadlines.dropSettled()
    }

    /// The channel closed: every waiting publish and every consumer ends with `error`.
    func channelClosed(_ error: any Error) {
        closeReason = error
        let waiters = confirmWaiters
        confirmWaiters.removeAll()
        mandatory.removeAll()
        unroutable.removeAll()
        for (_, waiter) in waiters.sorted(by: { $0.key < $1.key }) { waiter.resolve(.failure(error)) }
        confirmDeadlines.removeAll()
        let ending = consumers
        consumers.removeAll()
        for (_, consumer) in ending { consumer.finish(error, cancelledOnBroker: true) }
    }

    private func forgetMandatory(_ tag: UInt64) {
        if mandatory.first?.sequenceNumber == tag {
            mandatory.removeFirst()
        } else if let index = mandatory.firstIndex(where: { $0.sequenceNumber == tag }) {
            mandatory.remove(at: index)
        }
    }
}
