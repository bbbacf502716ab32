import NIOCore
import Synchronization

/// A consumer started with `Channel.basicConsume`: an `AsyncSequence` of its deliveries.
///
/// ```swift
/// for try await delivery in try await channel.basicConsume(queue: "tasks") {
///     try await handle(delivery.body)
///     try await delivery.ack()
/// }
/// ```
///
/// It is unicast: iterate it once, from one task (a second iterator throws
/// `ConsumerAlreadyIterated`). Its buffer is bounded: once `highWatermark` deliveries wait
/// unread, Hare asks to stop reading from the connection's socket (TCP flow control then slows
/// the broker down) and reads again when the application has read the buffer down to
/// `lowWatermark`; what bounds the buffer is that watermark plus one socket read burst (at most a
/// few hundred KiB of frames already read). Reads go on regardless while anything on the
/// connection awaits the broker (an RPC, a publisher confirm, a close), so a loop body that
/// awaits a reply never deadlocks on its own full buffer; in that time only a prefetch limit
/// bounds the buffer. A prefetch limit (`basicQos`) is the better bound anyway: with a prefetch
/// count at or below the high watermark reads never need to pause. Pausing reads pauses every
/// channel of the connection, and RabbitMQ closes a connection it cannot write to for its
/// `send_timeout` (15 s by default), so an autoAck consumer left unread that long loses its
/// connection.
///
/// Ending the iteration (leaving the loop, dropping the iterator) or cancelling the iterating
/// task cancels the consumer on the broker (basic.cancel); deliveries it had buffered and the
/// application never saw are rejected with requeue (unless `autoAck`). `Channel.basicCancel`
/// ends the sequence normally once cancel-ok arrives. When the broker cancels the consumer
/// (its queue was deleted, ...), the sequence ends by throwing `ConsumerCancelled`; when the
/// channel or connection closes, by throwing the channel's close reason.
public struct Consumer: AsyncSequence, Sendable {
    /// What the sequence yields.
    public typealias Element = Delivery
    typealias Producer = NIOThrowingAsyncSequenceProducer<
        Delivery, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, ConsumerDelegate
    >

    /// The consumer tag.
    public let consumerTag: String
    let producer: Producer
    let progress: ConsumerProgress

    /// Deliveries that wait unread in the buffer (for tests and metrics).
    var bufferedCount: Int { progress.buffered }

    /// Makes the iterator. A consumer has one: a second one throws `ConsumerAlreadyIterated`
    /// from its first `next()` (the first goes on undisturbed).
    public func makeAsyncIterator() -> AsyncIterator {
        guard progress.claimIterator() else {
            return AsyncIterator(base: nil, progress: progress, consumerTag: consumerTag)
        }
        return AsyncIterator(base: producer.makeAsyncIterator(), progress: progress, consumerTag: consumerTag)
    }

    /// Iterates the deliveries.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// Nil for a second iterator, which only reports that it is one.
        var base: Producer.AsyncIterator?
        let progress: ConsumerProgress
        let consumerTag: String
        var refused = false

        /// The next delivery; nil once the consumer was cancelled by the application.
        ///
        /// - Throws: `ConsumerCancelled` (the broker cancelled it), the channel's close reason,
        ///   `CancellationError` (the task was cancelled; the consumer is cancelled too), or
        ///   `ConsumerAlreadyIterated` (another iterator has this consumer's deliveries).
        public mutating func next() async throws -> Delivery? {
            guard base != nil else {
                if refused { return nil }
                refused = true
                throw ConsumerAlreadyIterated(consumerTag: consumerTag)
            }
            let delivery = try await base!.next()
            if let delivery { progress.consumed(delivery.deliveryTag) }
            return delivery
        }
    }
}

/// How far the application has read, shared by the iterator and the loop.
final class ConsumerProgress: Sendable {
    private let yieldedCount = Atomic<Int>(0)
    private let consumedCount = Atomic<Int>(0)
    private let lastConsumedTag = Atomic<UInt64>(0)
    private let iteratorMade = Atomic<Bool>(false)

    /// True for the first iterator only.
    func claimIterator() -> Bool {
        !iteratorMade.exchange(true, ordering: .acquiringAndReleasing)
    }

    /// Deliveries yielded and not read yet.
    var buffered: Int {
        yieldedCount.load(ordering: .relaxed) - consumedCount.load(ordering: .relaxed)
    }

    /// The delivery tag of the last delivery the application read (0 when none).
    var lastConsumed: UInt64 { lastConsumedTag.load(ordering: .acquiring) }

    func yielded(_ count: Int) { yieldedCount.add(count, ordering: .relaxed) }

    func consumed(_ tag: UInt64) {
        lastConsumedTag.store(tag, ordering: .releasing)
        consumedCount.add(1, ordering: .relaxed)
    }
}

/// The producer's delegate: hands `produceMore` and `didTerminate` to the loop.
struct ConsumerDelegate: NIOAsyncSequenceProducerDelegate {
    let eventLoop: any EventLoop
    let source: LoopConfined<ConsumerSource>

    func produceMore() {
        let source = source
        eventLoop.execute { source.value.produceMore() }
    }

    func didTerminate() {
        let source = source
        eventLoop.execute { source.value.terminated() }
    }
}
