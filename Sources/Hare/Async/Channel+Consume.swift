import AMQPProtocol
import NIOCore

/// Consumers as `AsyncSequence`s (basic.consume, basic.cancel).
extension Channel {
    /// Starts a consumer (basic.consume) and returns it once the broker confirmed it
    /// (consume-ok): an `AsyncSequence` of its deliveries with a bounded buffer (see `Consumer`).
    ///
    /// - Parameters:
    ///   - queue: the queue to consume from.
    ///   - autoAck: the broker considers messages acknowledged once sent.
    ///   - exclusive: no other consumer may use the queue.
    ///   - consumerTag: the tag, or nil for a generated one.
    ///   - arguments: extra arguments (`x-priority`, ...).
    /// - Throws: what the broker answered (the channel closes then), `DuplicateConsumerTag`,
    ///   `ChannelWrongStateError`, or `CancellationError` (a consumer the broker starts after
    ///   the cancellation is cancelled again).
    public func basicConsume(
        queue: String, autoAck: Bool = false, exclusive: Bool = false, consumerTag: String? = nil,
        arguments: FieldTable = [:]
    ) async throws -> Consumer {
        // On the loop: awaitReply runs it there, with the wait's timer.
        try await awaitReply(deadline: connection.deadline("basicConsume")) { [self] (waiter: ReplyWaiter<Consumer>) in
            startConsumer(
                queue: queue, autoAck: autoAck, exclusive: exclusive, consumerTag: consumerTag, arguments: arguments, waiter: waiter
            )
        }
    }

    /// Stops a consumer (basic.cancel) and waits for cancel-ok; its sequence then ends (after
    /// the deliveries it had buffered).
    @discardableResult
    public func basicCancel(consumerTag: String) async throws -> AMQP.Basic.CancelOk {
        let state = state
        return try await call { select, done in
            select.basicCancel(consumerTag: consumerTag) { result in
                if case .success = result { state.value.consumers.removeValue(forKey: consumerTag)?.finish(nil) }
                done(result)
            }
        }
    }

    /// The low and high watermarks of a consumer's buffer, in deliveries.
    static var consumerWatermarks: (low: Int, high: Int) { (64, 256) }

    private func startConsumer(
        queue: String, autoAck: Bool, exclusive: Bool, consumerTag: String?, arguments: FieldTable, waiter: ReplyWaiter<Consumer>
    ) {
        do {
            try checkOpen("basic.consume")
        } catch {
            waiter.resolve(.failure(error))
            return
        }
        let consumerSource = ConsumerSource(channel: self, autoAck: autoAck)
        let loop = eventLoop, confined = LoopConfined(value: consumerSource)
        let buffer = ConsumerBuffer<Delivery>(
            low: Self.consumerWatermarks.low, high: Self.consumerWatermarks.high,
            produceMore: { loop.execute { confined.value.produceMore() } },
            terminated: { loop.execute { confined.value.terminated() } }
        )
        consumerSource.buffer = buffer
        // Handed to the application at consume-ok, never kept here: dropping it ends the consumer.
        var handle: ConsumerHandle? = ConsumerHandle(buffer: buffer)
        let state = state
        consumerSource.consumerTag = select.basicConsume(
            queue: queue,
            onMessageCallback: { _, deliver, properties, body in
                consumerSource.deliver(deliver, properties: properties, body: body)
            },
            autoAck: autoAck, exclusive: exclusive, consumerTag: consumerTag, arguments: arguments,
            callback: { result in
                switch result {
                case .success(let ok):
                    consumerSource.consumerTag = ok.consumerTag
                    state.value.consumers[ok.consumerTag] = consumerSource
                    guard let made = handle else { return }
                    handle = nil
                    // When the task was cancelled meanwhile, the consumer is dropped here and
                    // its termination cancels it on the broker.
                    waiter.resolve(.success(Consumer(consumerTag: ok.consumerTag, handle: made, progress: consumerSource.progress)))
                case .failure(let error):
                    handle = nil
                    consumerSource.finish(error, cancelledOnBroker: false)
                    waiter.resolve(.failure(error))
                }
            }
        )
    }
}
