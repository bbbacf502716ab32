import AMQPProtocol
import NIOCore

/// The loop side of a `Consumer`: yields deliveries into the bounded buffer, pauses and resumes
/// socket reads with it, and cancels the consumer on the broker when the application stops
/// iterating. Loop only.
final class ConsumerSource {
    private enum Phase {
        /// Delivering.
        case active
        /// The application stopped iterating; basic.cancel is on its way.
        case cancelling
        /// The sequence was finished (cancel-ok, broker cancel, channel closed).
        case finished
    }

    let channel: Channel
    let autoAck: Bool
    let progress = ConsumerProgress()
    var consumerTag = ""
    var buffer: ConsumerBuffer<Delivery>?
    private var phase = Phase.active
    private var paused = false
    /// Delivery tags yielded to the buffer (without autoAck), oldest first, trimmed as the
    /// application reads.
    private var yieldedTags = CircularBuffer<UInt64>()
    /// Deliveries the application will never see, rejected (with requeue) once the broker has
    /// processed the cancel.
    private var pendingRejects: [UInt64] = []
    /// Deliveries of the read being routed, yielded together once it is all routed.
    private var unyielded: [Delivery] = []

    init(channel: Channel, autoAck: Bool) {
        self.channel = channel
        self.autoAck = autoAck
    }

    /// A delivery from the broker. It waits in `unyielded` until the read that brought it is all
    /// routed, and is yielded with the read's other deliveries: the iterating task is woken once
    /// per read, not once per delivery.
    func deliver(_ deliver: AMQP.Basic.Deliver, properties: AMQP.BasicProperties, body: ByteBuffer) {
        guard phase == .active, buffer != nil else {
            if !autoAck { pendingRejects.append(deliver.deliveryTag) }
            return
        }
        if !autoAck {
            let read = progress.lastConsumed
            while let first = yieldedTags.first, first <= read { yieldedTags.removeFirst() }
            yieldedTags.append(deliver.deliveryTag)
        }
        unyielded.append(
            Delivery(
                exchange: deliver.exchange, routingKey: deliver.routingKey, deliveryTag: deliver.deliveryTag,
                redelivered: deliver.redelivered, consumerTag: deliver.consumerTag, properties: properties, body: body,
                channel: channel
            )
        )
        if unyielded.count == 1 {
            if let handler = channel.select.connection.handler {
                handler.afterRouting { [self] in yieldDeliveries() }
            } else {
                yieldDeliveries()
            }
        }
    }

    /// Yields the deliveries routed since the last time, together.
    private func yieldDeliveries() {
        guard !unyielded.isEmpty else { return }
        guard let buffer else {
            // Finished meanwhile: their tags are in `yieldedTags`, rejected with the unread.
            unyielded.removeAll()
            return
        }
        progress.yielded(unyielded.count)
        let result = buffer.yield(contentsOf: unyielded)
        unyielded.removeAll(keepingCapacity: true)
        switch result {
        case .produceMore:
            break
        case .stopProducing:
            if !paused {
                paused = true
                channel.connection.pauseReading()
            }
        case .dropped:
            // The application ended the iteration; `terminated()` follows and rejects them.
            break
        }
    }

    /// The buffer has room again.
    func produceMore() {
        resumeIfPaused()
    }

    /// The application stopped iterating (or dropped the consumer, or its task was cancelled).
    func terminated() {
        resumeIfPaused()
        switch phase {
        case .cancelling:
            return
        case .finished:
            // The broker no longer delivers to it: give back what the application never read.
            collectUnread()
            flushRejects()
        case .active:
            phase = .cancelling
            collectUnread()
            let tag = consumerTag
            let state = channel.state
            channel.select.basicCancel(consumerTag: tag) { [self] _ in
                flushRejects()
                if state.value.consumers[tag] === self { state.value.consumers[tag] = nil }
                finish(nil)
            }
        }
    }

    /// Ends the sequence: normally (nil) or with `error`. Deliveries already buffered stay
    /// readable before the end.
    func finish(_ error: (any Error)?, cancelledOnBroker: Bool = true) {
        yieldDeliveries()
        resumeIfPaused()
        if phase == .cancelling, cancelledOnBroker, channel.state.value.closeReason == nil { flushRejects() }
        if phase == .finished { return }
        phase = .finished
        buffer?.finish(error)
        buffer = nil
    }

    private func collectUnread() {
        guard !autoAck else { return }
        let read = progress.lastConsumed
        pendingRejects += yieldedTags.filter { $0 > read }
        yieldedTags.removeAll()
    }

    private func flushRejects() {
        let tags = pendingRejects
        pendingRejects.removeAll()
        guard channel.state.value.closeReason == nil else { return }
        for tag in tags {
            do {
                try channel.acknowledgeOnLoop(.basicReject(AMQP.Basic.Reject(deliveryTag: tag, requeue: true)))
            } catch {
                return
            }
        }
    }

    private func resumeIfPaused() {
        guard paused else { return }
        paused = false
        channel.connection.resumeReading()
    }
}
