import AMQPProtocol
import NIOCore
import Synchronization

/// Publishes handed to a channel's loop from other threads without waiting for it: what makes
/// `basicPublish` outside confirm mode cost no thread hop per message, on every face (a task's
/// `Channel.basicPublish`, a script's `BlockingChannel.basicPublish`, `SelectChannel.basicPublish`
/// called off the loop).
///
/// A thread that publishes appends its message here; the first message after the loop last took
/// them schedules one loop task, which takes every message handed over meanwhile and publishes
/// them in order. Publishes that must wait (confirm mode, a socket that does not drain, a
/// channel that is not open) go the waiting way instead, which the loop runs after every
/// message handed over before it.
///
/// Backpressure: at most `limit` bytes of bodies are handed over and not yet written to the
/// connection's buffer; past that, publishes wait for the socket again.
final class PublishHandoff: Sendable {
    /// The most body bytes handed over and not yet written.
    static let limit = 1024 * 1024

    private struct State {
        var queued: [PublishRequest] = []
        /// A loop task that takes `queued` is on its way.
        var takeScheduled = false
        /// In confirm mode every publish waits (for its sequence number).
        var confirmMode = false
    }

    private let state = Guarded(State())
    /// Body bytes handed over and not yet written (nor failed): an atomic, so that the loop
    /// counts each write without taking the lock that publishing tasks take.
    private let unwritten = Atomic<Int>(0)

    /// What `offer` did with a publish.
    enum Offer: Equatable {
        /// Handed over; a loop task already on its way takes it.
        case queued
        /// Handed over; the caller schedules the loop task that takes it (`takeAll`).
        case queuedFirst
        /// Not handed over: the caller publishes the waiting way.
        case mustWait
    }

    /// Hands `request` over unless it has to wait.
    func offer(_ request: PublishRequest) -> Offer {
        let size = request.body.readableBytes
        let pending = unwritten.load(ordering: .relaxed)
        guard pending + size <= Self.limit || pending == 0 else { return .mustWait }
        return state.withLock { state in
            guard !state.confirmMode else { return .mustWait }
            state.queued.append(request)
            unwritten.add(size, ordering: .relaxed)
            if state.takeScheduled { return .queued }
            state.takeScheduled = true
            return .queuedFirst
        }
    }

    /// Everything handed over since the last call, in order (on the loop).
    func takeAll() -> [PublishRequest] {
        state.withLock { state in
            state.takeScheduled = false
            var taken: [PublishRequest] = []
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
