import Hare
import HareTestSupport

/// Reads `total` messages from `consumer` (auto-ack) and lists those that are not where their
/// publisher-confirm sequence number says. The broker queues one channel's messages in the
/// order it read them, so the n-th message in the queue is the one numbered n. A message is
/// named by its body up to the first ";"; `numbered` gives each name's number (a name it lacks
/// is not checked, but still takes its place).
func misplacedMessages(_ consumer: Hare.Consumer, total: Int, numbered: [String: UInt64]) async throws -> [String] {
    try await withTimeout(60, "\(total) deliveries") {
        var place: UInt64 = 0, misplaced: [String] = []
        for try await delivery in consumer {
            place += 1
            let head = delivery.body.getString(at: delivery.body.readerIndex, length: min(12, delivery.body.readableBytes)) ?? ""
            let name = head.split(separator: ";").first.map(String.init) ?? ""
            if let number = numbered[name], number != place { misplaced.append("\(name) numbered \(number), queued \(place)") }
            if place == UInt64(total) { break }
        }
        if place != UInt64(total) { misplaced.append("the queue ended after \(place) of \(total) messages") }
        return misplaced
    }
}

/// The sequence numbers acked on `confirms` until `total` numbers were confirmed (acked or
/// nacked).
func ackedNumbers(_ confirms: AsyncStream<PublisherConfirm>, total: Int) async throws -> Set<UInt64> {
    try await withTimeout(30, "\(total) confirms") {
        var acked = Set<UInt64>(), confirmed = 0
        for await confirm in confirms {
            if confirm.isAck { acked.formUnion(confirm.deliveryTags) }
            confirmed += confirm.deliveryTags.count
            if confirmed >= total { break }
        }
        return acked
    }
}
