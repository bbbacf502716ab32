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
///
/// The deliveries of one socket read reach the buffer together, and iterating waits in the
/// caller's isolation: a loop on the main actor, or on an actor whose executor is the
/// connection's event loop (`connection.eventLoop.executor`), is resumed there without a trip
/// through the global executor. On the event loop, the loop body holds up the connection's I/O
/// while it runs, as a callback of `SelectConnection` does; in exchange no delivery crosses a
/// thread.
public struct Consumer: AsyncSequence, Sendable {
    /// What the sequence yields.
    public typealias Element = Delivery

    /// The consumer tag.
    public let consumerTag: String
    let handle: ConsumerHandle
    let progress: ConsumerProgress

    /// Deliveries that wait unread in the buffer (for tests and metrics).
    var bufferedCount: Int { progress.buffered }

    /// Makes the iterator. A consumer has one: a second one throws `ConsumerAlreadyIterated`
    /// from its first `next()` (the first goes on undisturbed).
    public func makeAsyncIterator() -> AsyncIterator {
        guard handle.buffer.claimIterator() else {
            return AsyncIterator(handle: nil, progress: progress, consumerTag: consumerTag)
        }
        return AsyncIterator(handle: IteratorHandle(buffer: handle.buffer), progress: progress, consumerTag: consumerTag)
    }

    /// Iterates the deliveries. Its `next()` waits in the caller's isolation: a loop on an
    /// actor (the main actor, or one whose executor is the connection's event loop) is resumed
    /// there directly.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// Nil for a second iterator, which only reports that it is one.
        let handle: IteratorHandle?
        let progress: ConsumerProgress
        let consumerTag: String
        var refused = false

        /// The next delivery; nil once the consumer was cancelled by the application.
        ///
        /// - Throws: `ConsumerCancelled` (the broker cancelled it), the channel's close reason,
        ///   `CancellationError` (the task was cancelled; the consumer is cancelled too), or
        ///   `ConsumerAlreadyIterated` (another iterator has this consumer's deliveries).
        nonisolated(nonsending) public mutating func next() async throws -> Delivery? {
            guard let handle else {
                if refused { return nil }
                refused = true
                throw ConsumerAlreadyIterated(consumerTag: consumerTag)
            }
            let delivery = try await handle.buffer.next()
            if let delivery { progress.consumed(delivery.deliveryTag) }
            return delivery
        }

        /// `next()`, in the isolation of `actor` (what `for try await` calls).
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> Delivery? {
            try await next()
        }
    }
}

/// Shared by a consumer's copies: when the last goes without an iterator made, the consumer ends.
final class ConsumerHandle: Sendable {
    let buffer: ConsumerBuffer<Delivery>

    init(buffer: ConsumerBuffer<Delivery>) { self.buffer = buffer }

    deinit { buffer.sequenceDropped() }
}

/// Shared by an iterator's copies: when the last goes, the application stopped iterating.
final class IteratorHandle: Sendable {
    let buffer: ConsumerBuffer<Delivery>

    init(buffer: ConsumerBuffer<Delivery>) { self.buffer = buffer }

    deinit { buffer.iteratorDropped() }
}

/// How far the application has read, shared by the iterator and the loop.
final class ConsumerProgress: Sendable {
    private let yieldedCount = Atomic<Int>(0)
    private let consumedCount = Atomic<Int>(0)
    private let lastConsumedTag = Atomic<UInt64>(0)

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
