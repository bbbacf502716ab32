import AMQPProtocol
import NIOCore

/// The consumer generator (Pika's `channel.consume(...)` and `channel.cancel()`).
extension BlockingChannel {
    /// Starts (or resumes) the channel's consumer generator: a sequence of the messages of
    /// `queue`, each `(basic.deliver, properties, body)`, that yields nil when
    /// `inactivityTimeout` seconds pass without a message, like Pika's. One generator consumer
    /// per channel: calling `consume` again with the same queue and flags returns a sequence
    /// over the same consumer. The sequence ends when the broker cancels the consumer, the
    /// channel closes (see `closeReason`) or `cancel()` is called; its `nextMessage()` throws
    /// the close error instead, like Pika's generator. While it waits, the connection's other
    /// callbacks run. `getWaitingMessageCount()` tells how many messages it holds.
    ///
    /// ```swift
    /// for case let (deliver, properties, body)? in try channel.consume(queue: "work") {
    ///     try channel.basicAck(deliveryTag: deliver.deliveryTag)
    /// }
    /// ```
    ///
    /// - Throws: `ChannelWrongStateError` when a generator with other parameters is active,
    ///   the broker's refusal of basic.consume, `BlockingCallOnEventLoopError`.
    public func consume(
        queue: String, autoAck: Bool = false, exclusive: Bool = false, arguments: FieldTable = [:],
        inactivityTimeout: Double? = nil
    ) throws -> BlockingConsumeSequence {
        try core.checkNotOnLoop("consume")
        try throwIfClosed("consume")
        let existing = state.withLock { $0.generator }
        if let existing {
            guard existing.queue == queue, existing.autoAck == autoAck, existing.exclusive == exclusive,
                existing.arguments == arguments
            else {
                throw ChannelWrongStateError(
                    reason: "consume: a generator consumer with other parameters is active on this channel; cancel() it first"
                )
            }
            return BlockingConsumeSequence(channel: self, inactivityTimeout: inactivityTimeout)
        }
        let tag = SelectChannel.makeConsumerTag()
        state.withLock { state in
            state.generator = Generator(consumerTag: tag, queue: queue, autoAck: autoAck, exclusive: exclusive, arguments: arguments)
        }
        let core = core
        do {
            let _: AMQP.Basic.ConsumeOk = try call("basic.consume") { [weak self] select, done in
                select.basicConsume(
                    queue: queue,
                    onMessageCallback: { select, deliver, properties, body in
                        self?.state.withLock { state in
                            guard state.generator?.consumerTag == tag else { return }
                            state.generator?.buffer.append((deliver, properties, body))
                        }
                        core.notifyAfterRouting(select.connection.handler)
                    },
                    autoAck: autoAck, exclusive: exclusive, consumerTag: tag, arguments: arguments, callback: done
                )
            }
        } catch {
            state.withLock { $0.generator = nil }
            throw error
        }
        return BlockingConsumeSequence(channel: self, inactivityTimeout: inactivityTimeout)
    }

    /// Cancels the consumer of the `consume` generator (basic.cancel) and returns how many
    /// messages were requeued: without auto-ack, the messages it had received that the
    /// application had not taken are rejected for requeue (Pika's `cancel()`). With auto-ack
    /// they are dropped and 0 is returned; 0 too when no generator is active.
    @discardableResult
    public func cancel() throws -> Int {
        try core.checkNotOnLoop("cancel")
        guard let generator = state.withLock({ $0.generator }) else { return 0 }
        var failure: (any Error)?
        if !generator.ended, !isClosed {
            do {
                _ = try call("basic.cancel") { select, done in select.basicCancel(consumerTag: generator.consumerTag, callback: done) }
            } catch {
                failure = error
            }
        }
        // After cancel-ok nothing more arrives for the consumer: what is buffered is final.
        let pending = state.withLock { state -> [(AMQP.Basic.Deliver, AMQP.BasicProperties, ByteBuffer)] in
            defer { state.generator = nil }
            guard let generator = state.generator else { return [] }
            return Array(generator.buffer[generator.head...])
        }
        core.gate.notifyAll()
        if let failure { throw failure }
        guard !generator.autoAck else { return 0 }
        if !isClosed {
            for (deliver, _, _) in pending {
                selectChannel.basicReject(deliveryTag: deliver.deliveryTag, requeue: true)
            }
        }
        return pending.count
    }

    /// How many messages the `consume` generator holds that reached the client but were not
    /// yielded yet (Pika's `get_waiting_message_count`); 0 when no generator is active.
    public func getWaitingMessageCount() -> Int {
        state.withLock { state in state.generator.map { $0.buffer.count - $0.head } ?? 0 }
    }

    /// The next message of the generator, nil on inactivity; `.none` when it ended (`cancel()`,
    /// a broker cancel).
    ///
    /// - Throws: `BlockingCallOnEventLoopError` on the connection's loop; the channel's close
    ///   reason when it closed, the connection's close error when it closed (once the messages
    ///   that arrived before are taken).
    func nextGenerated(inactivityTimeout: Double?) throws -> (AMQP.Basic.Deliver, AMQP.BasicProperties, ByteBuffer)?? {
        try core.checkNotOnLoop("iterating a consume sequence")
        let deadline = ContinuousClock.Instant.after(seconds: inactivityTimeout ?? .infinity)
        let core = core
        while true {
            enum Step {
                case message((AMQP.Basic.Deliver, AMQP.BasicProperties, ByteBuffer))
                case ended
                case wait
            }
            let step = state.withLock { state -> Step in
                guard var generator = state.generator else { return .ended }
                if generator.head < generator.buffer.count {
                    let message = generator.buffer[generator.head]
                    generator.head += 1
                    if generator.head == generator.buffer.count {
                        generator.buffer.removeAll(keepingCapacity: true)
                        generator.head = 0
                    }
                    state.generator = generator
                    return .message(message)
                }
                return generator.ended ? .ended : .wait
            }
            switch step {
            case .message(let message): return .some(message)
            case .ended:
                try throwIfEndedByClose()
                return .none
            case .wait: break
            }
            if core.closeError != nil {
                try throwIfEndedByClose()
                return .none
            }
            if let deadline, ContinuousClock.now >= deadline { return .some(nil) }
            _ = core.gate.wait(until: deadline) { [self] in
                core.hasDispatchableEvents || core.closeError != nil
                    || state.withLock { state in
                        guard let generator = state.generator else { return true }
                        return generator.ended || generator.head < generator.buffer.count
                    }
            }
            core.dispatchPending()
        }
    }

    /// Throws why the channel (or else the connection) closed, if it has.
    private func throwIfEndedByClose() throws {
        if let reason = closeReason { throw reason }
        try connection.throwIfClosed()
    }
}

/// The messages of a `BlockingChannel.consume` generator: each element is
/// `(basic.deliver, properties, body)`, or nil when the inactivity timeout passed without a
/// message. Iterating waits on the calling thread (and runs the connection's other pending
/// callbacks meanwhile).
///
/// Two ways to iterate:
/// - `for message in sequence` (`next()`): the loop ends when the consumer is cancelled
///   (`cancel()`, or by the broker), when the channel or the connection closes (see
///   `BlockingChannel.closeReason`), and when it is run on the connection's event loop
///   (logged as an error).
/// - `while let message = try sequence.nextMessage()`: like Pika's generator, which raises:
///   it ends (returns nil) only on a cancel, and throws why the channel or the connection
///   closed, or `BlockingCallOnEventLoopError` on the connection's event loop.
public struct BlockingConsumeSequence: Sequence, IteratorProtocol {
    /// A message, or nil on inactivity.
    public typealias Element = (AMQP.Basic.Deliver, AMQP.BasicProperties, ByteBuffer)?

    /// The channel whose generator this iterates.
    public let channel: BlockingChannel
    /// Seconds without a message after which the sequence yields nil (nil: wait as long as it
    /// takes).
    public let inactivityTimeout: Double?

    init(channel: BlockingChannel, inactivityTimeout: Double?) {
        self.channel = channel
        self.inactivityTimeout = inactivityTimeout
    }

    /// The next message, nil (wrapped) on inactivity, or nil when the sequence ended: by a
    /// cancel, a close, or because it was called on the connection's event loop (see
    /// `nextMessage()` for the reasons as errors).
    public mutating func next() -> Element? {
        do {
            return try channel.nextGenerated(inactivityTimeout: inactivityTimeout)
        } catch let error as BlockingCallOnEventLoopError {
            channel.core.logger.error("a consume sequence was iterated on the connection's event loop; it ends", metadata: [
                "error": "\(error)"
            ])
            return nil
        } catch {
            return nil
        }
    }

    /// The next message, nil (wrapped) on inactivity, or nil when the consumer was cancelled
    /// (`cancel()`, or by the broker), like a step of Pika's generator.
    ///
    /// - Throws: `BlockingCallOnEventLoopError` when called on the connection's event loop
    ///   (the loop would have to deliver the message: it would never come); once the messages
    ///   that arrived before are taken, the channel's close reason (`ChannelClosedByBroker`,
    ///   `ChannelClosedByClient`, `ChannelClosedByConnection`) or the connection's close error.
    public mutating func nextMessage() throws -> Element? {
        try channel.nextGenerated(inactivityTimeout: inactivityTimeout)
    }
}
