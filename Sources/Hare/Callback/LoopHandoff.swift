import AMQPProtocol
import NIOCore
import Synchronization

/// Publishes and acknowledgements handed to a channel's loop from other threads without waiting
/// for it: what makes `basicPublish` outside confirm mode, and `basicAck`, `basicNack` and
/// `basicReject`, cost no thread hop per message on every face (a task's `Channel`, a script's
/// `BlockingChannel`, `SelectChannel` called off its loop).
///
/// A thread appends its message or acknowledgement here; the first one after the loop last took
/// them schedules one loop task, which takes everything handed over meanwhile and sends it in
/// order. Publishes that must wait (confirm mode, a socket that does not drain, a channel that
/// is not open) go the waiting way instead, which the loop runs after everything handed over
/// before it.
///
/// Backpressure: at most `limit` bytes of bodies are handed over and not yet written to the
/// connection's buffer; past that, publishes wait for the socket again.
final class LoopHandoff: Sendable {
    /// The most body bytes handed over and not yet written.
    static let limit = 1024 * 1024

    /// What the loop sends for a thread.
    enum Item {
        case publish(PublishRequest)
        /// basic.ack, basic.nack or basic.reject.
        case acknowledge(AMQP.Method)
    }

    private struct State {
        var queued: [Item] = []
        /// A loop task that takes `queued` is on its way.
        var takeScheduled = false
        /// In confirm mode every publish waits (for its sequence number).
        var confirmMode = false

        /// Queues `item`, and schedules the take when none is on its way.
        mutating func append(_ item: Item, scheduleTake: () -> Void) -> Offer {
            queued.append(item)
            if takeScheduled { return .queued }
            takeScheduled = true
            scheduleTake()
            return .queuedFirst
        }
    }

    private let state = Guarded(State())
    /// Body bytes handed over and not yet written (nor failed): an atomic, so that the loop
    /// counts each write without taking the lock that publishing threads take.
    private let unwritten = Atomic<Int>(0)

    /// What `offer` did.
    enum Offer: Equatable {
        /// Handed over; a loop task already on its way takes it.
        case queued
        /// Handed over as the first item since the last take: `scheduleTake` ran.
        case queuedFirst
        /// Not handed over: the caller publishes the waiting way.
        case mustWait
    }

    /// Hands `request` over unless it has to wait. When it is the first item since the last
    /// take, `scheduleTake` runs (it enqueues the loop task that calls `takeAll`) while the
    /// handoff is still locked: an item that finds the take scheduled is then sure it is enqueued
    /// too, so any loop task its thread enqueues afterwards (a publish that has to wait, an RPC,
    /// a close) runs after the take. Enqueued after the lock, the take could come after such a
    /// task of another thread, and one thread's messages could overtake each other.
    func offer(_ request: PublishRequest, scheduleTake: () -> Void = {}) -> Offer {
        let size = request.body.readableBytes
        let pending = unwritten.load(ordering: .relaxed)
        guard pending + size <= Self.limit || pending == 0 else { return .mustWait }
        return state.withLock { state in
            guard !state.confirmMode else { return .mustWait }
            unwritten.add(size, ordering: .relaxed)
            return state.append(.publish(request), scheduleTake: scheduleTake)
        }
    }

    /// Hands an acknowledgement over: it never waits. `scheduleTake` as for a publish.
    func offer(acknowledgement method: AMQP.Method, scheduleTake: () -> Void = {}) -> Offer {
        state.withLock { state in state.append(.acknowledge(method), scheduleTake: scheduleTake) }
    }

    /// Everything handed over since the last call, in order (on the loop).
    func takeAll() -> [Item] {
        state.withLock { state in
            state.takeScheduled = false
            var taken: [Item] = []
            swap(&taken, &state.queued)
            return taken
        }
    }

    /// `size` body bytes handed over were written (or failed).
    func finished(size: Int) {
        unwritten.subtract(size, ordering: .relaxed)
    }

    /// From now on every publish waits (confirm.select was sent).
    func enterConfirmMode() {
        state.withLock { $0.confirmMode = true }
    }
}
