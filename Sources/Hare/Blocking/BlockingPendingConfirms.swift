import AMQPProtocol
import NIOCore

/// The publishes of a confirm-mode `BlockingChannel` that wait for the broker's ack, by publish
/// sequence number. Kept on the connection's loop; pure bookkeeping, no I/O.
struct BlockingPendingConfirms {
    /// What a mandatory publish sent, to tell which publish a basic.return gives back.
    struct Mandatory {
        var exchange: String
        var routingKey: String
        var body: ByteBuffer
    }

    /// One publish waiting for its ack.
    struct Entry {
        /// Set for a mandatory publish.
        var mandatory: Mandatory?
        /// Set once the broker returned the message: the ack then fails with it.
        var returned: UnroutableError?
        var completion: Completion<Void>
    }

    private(set) var entries: [UInt64: Entry] = [:]

    /// How many publishes wait.
    var count: Int { entries.count }

    /// A publish sent with `sequenceNumber` now waits for its ack.
    mutating func add(_ sequenceNumber: UInt64, mandatory: Mandatory?, completion: Completion<Void>) {
        entries[sequenceNumber] = Entry(mandatory: mandatory, returned: nil, completion: completion)
    }

    /// Forgets the publish whose wait gave up (`BlockingCallTimeout`): its late ack is ignored
    /// and a late return can no longer be taken for another publish's.
    mutating func abandon(_ completion: Completion<Void>) {
        guard let index = entries.firstIndex(where: { $0.value.completion === completion }) else { return }
        entries.remove(at: index)
    }

    /// A basic.return. RabbitMQ sends the return of an unroutable mandatory message before its
    /// ack, so it belongs to the oldest mandatory publish still waiting (not yet returned) with
    /// the same exchange, routing key and body; that publish's ack then fails with
    /// `UnroutableError`. Returns false when no waiting publish matches.
    mutating func returned(_ method: AMQP.Basic.Return, body: ByteBuffer) -> Bool {
        let matching = entries.lazy.filter { _, entry in
            guard entry.returned == nil, let sent = entry.mandatory else { return false }
            return sent.exchange == method.exchange && sent.routingKey == method.routingKey && sent.body == body
        }
        guard let tag = matching.map(\.key).min() else { return false }
        entries[tag]?.returned = UnroutableError(
            replyCode: method.replyCode, replyText: method.replyText, exchange: method.exchange, routingKey: method.routingKey
        )
        return true
    }

    /// An ack or nack: the publishes it covers, oldest first, with the outcome each gets
    /// (`NackError` for a nack, `UnroutableError` for an ack of a returned message). They stop
    /// waiting.
    mutating func confirmed(_ confirm: PublisherConfirm) -> [(completion: Completion<Void>, outcome: Result<Void, any Error>)] {
        confirm.deliveryTags.compactMap { tag in
            guard let entry = entries.removeValue(forKey: tag) else { return nil }
            if !confirm.isAck { return (entry.completion, .failure(NackError(deliveryTag: tag))) }
            if let returned = entry.returned { return (entry.completion, .failure(returned)) }
            return (entry.completion, .success(()))
        }
    }

    /// The connection was lost before these publishes were confirmed: they stop waiting and fail
    /// with `PublishConfirmLost`.
    mutating func lost(_ lost: [PublishConfirmLost]) -> [(completion: Completion<Void>, outcome: Result<Void, any Error>)] {
        lost.compactMap { error in
            entries.removeValue(forKey: error.sequenceNumber).map { ($0.completion, .failure(error)) }
        }
    }

    /// The channel closed: every waiting publish, oldest first; none waits afterwards.
    mutating func removeAll() -> [Completion<Void>] {
        defer { entries.removeAll() }
        return entries.sorted { $0.key < $1.key }.map(\.value.completion)
    }
}
