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
/// order. Publishes that must wait (a socket that does not drain, a channel that is not open)
/// go the waiting way instead, which the loop runs after everything handed over before it.
///
/// Confirm mode: the sequence number of a publish is its place among the channel's publishes as
/// the broker reads them. Once the loop has said which number the next publish gets
/// (`startNumbering(at:)`), the numbers are given out here: to each publish handed over, in the
/// order it is queued, and to each the loop sends itself (`numberOnLoop(startingAt:)`, which
/// first takes what was handed over before it). The channel sends numbered publishes in that
/// order: first come, first served when they wait for the socket, and a publish of the loop's
/// own waits behind them when any waits. So a thread learns its number without waiting for the
/// loop. Until numbering starts, and after the channel closed (`stopNumbering()`), publishes in
/// confirm mode wait for the loop, which numbers them as they go out.
///
/// Backpressure: at most `limit` bytes of bodies are handed over and not yet written to the
/// connection's buffer; past that, publishes wait for the socket again.
final class LoopHandoff: Sendable {
    /// The most body bytes handed over and not yet written.
    static let limit = 1024 * 1024

    /// What the loop sends for a thread.
    enum Item {
        /// A publish, with its sequence number when it was numbered here.
        case publish(PublishRequest, number: Numbered?)
        /// basic.ack, basic.nack or basic.reject.
        case acknowledge(AMQP.Method)
    }

    /// A sequence number given out here, and the numbering it belongs to: a publish numbered
    /// before the channel closed must not go out on the channel that replaces it.
    struct Numbered: Equatable {
        var number: UInt64
        var generation: UInt64
    }

    private struct State {
        var queued: [Item] = []
        /// A loop task that takes `queued` is on its way.
        var takeScheduled = false
        /// Confirm mode was asked for: a publish gets a sequence number.
        var confirmMode = false
        /// In confirm mode, once the loop started numbering: the number the next publish gets.
        var nextNumber: UInt64?
        /// Which numbering this is (one more each time numbering stops).
        var generation: UInt64 = 0

        /// Queues `item`, and schedules the take when none is on its way.
        mutating func append(_ item: Item, scheduleTake: () -> Void) -> Offer {
            var number: UInt64?
            if case .publish(_, let numbered?) = item { number = numbered.number }
            queued.append(item)
            if takeScheduled { return .queued(number: number) }
            takeScheduled = true
            scheduleTake()
            return .queuedFirst(number: number)
        }

        /// Starts numbering at `next`, in confirm mode, unless numbering already. Publishes
        /// handed over before confirm mode and not yet taken go out first: they are numbered
        /// first, in order.
        mutating func start(at next: UInt64) {
            guard confirmMode, nextNumber == nil else { return }
            nextNumber = next
            for index in queued.indices {
                guard case .publish(let request, nil) = queued[index] else { continue }
                queued[index] = .publish(request, number: takeNumber())
            }
        }

        /// The next sequence number, when numbers are given out here.
        mutating func takeNumber() -> Numbered? {
            guard let next = nextNumber else { return nil }
            nextNumber = next + 1
            return Numbered(number: next, generation: generation)
        }

        /// Everything queued, in order.
        mutating func takeQueued() -> [Item] {
            var taken: [Item] = []
            swap(&taken, &queued)
            return taken
        }
    }

    private let state = Guarded(State())
    /// Body bytes handed over and not yet written (nor failed): an atomic, so that the loop
    /// counts each write without taking the lock that publishing threads take.
    private let unwritten = Atomic<Int>(0)
    /// `State.generation`, for the loop to check a publish against without the lock.
    private let currentGeneration = Atomic<UInt64>(0)
    /// `State.confirmMode`, for the loop to read without the lock.
    private let confirmMode = Atomic<Bool>(false)
    /// Whether `State.nextNumber` is set, for the loop to read without the lock (it changes
    /// only on the loop).
    private let numbering = Atomic<Bool>(false)

    /// What `offer` did.
    enum Offer: Equatable {
        /// Handed over; a loop task already on its way takes it. In confirm mode, `number` is
        /// its sequence number.
        case queued(number: UInt64? = nil)
        /// Handed over as the first item since the last take: `scheduleTake` ran.
        case queuedFirst(number: UInt64? = nil)
        /// Not handed over: the caller publishes the waiting way.
        case mustWait

        /// The publish's sequence number, when it was handed over in confirm mode.
        var number: UInt64? {
            switch self {
            case .queued(let number), .queuedFirst(let number): number
            case .mustWait: nil
            }
        }
    }

    /// Hands `request` over unless it has to wait. When it is the first item since the last
    /// take, `scheduleTake` runs (it enqueues the loop task that calls `takeAll`) while the
    /// handoff is still locked: an item that finds the take scheduled is then sure it is enqueued
    /// too, so any loop task its thread enqueues afterwards (a publish that has to wait, an RPC,
    /// a close) runs after the take. Enqueued after the lock, the take could come after such a
    /// task of another thread, and one thread's messages could overtake each other.
    ///
    /// In confirm mode it is numbered, or has to wait while numbers are not given out here.
    func offer(_ request: PublishRequest, scheduleTake: () -> Void = {}) -> Offer {
        let size = request.body.readableBytes
        let pending = unwritten.load(ordering: .relaxed)
        guard pending + size <= Self.limit || pending == 0 else { return .mustWait }
        return state.withLock { state in
            var numbered: Numbered?
            if state.confirmMode {
                guard let number = state.takeNumber() else { return .mustWait }
                numbered = number
            }
            unwritten.add(size, ordering: .relaxed)
            return state.append(.publish(request, number: numbered), scheduleTake: scheduleTake)
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
            return state.takeQueued()
        }
    }

    /// `size` body bytes handed over were written (or failed).
    func finished(size: Int) {
        unwritten.subtract(size, ordering: .relaxed)
    }

    /// From now on every publish gets a sequence number (confirm.select is on its way); each
    /// waits for the loop until numbering starts.
    func enterConfirmMode() {
        state.withLock { $0.confirmMode = true }
        confirmMode.store(true, ordering: .relaxed)
    }

    /// Whether confirm mode was asked for (read without the lock: the loop's publishes check
    /// it, and take the lock only in confirm mode).
    var inConfirmMode: Bool { confirmMode.load(ordering: .relaxed) }

    /// Whether numbers are given out here. Loop only.
    var isNumbering: Bool { numbering.load(ordering: .relaxed) }

    /// Numbers are given out here from now on, the next being `next` (on the loop, with the
    /// channel in confirm mode and `next` the number its next publish gets there). Does nothing
    /// outside confirm mode or while numbering.
    func startNumbering(at next: UInt64) {
        state.withLock { state in start(&state, at: next) }
    }

    /// `State.start(at:)`, keeping `numbering` in step. With the lock held.
    private func start(_ state: inout State, at next: UInt64) {
        state.start(at: next)
        numbering.store(state.nextNumber != nil, ordering: .relaxed)
    }

    /// The sequence number of a publish the loop sends itself, with everything handed over
    /// before it, which it sends first; nil when numbers are not given out here (the channel's
    /// own count numbers the publish when it goes out). Numbering starts here at `next` (the
    /// number the channel's next publish gets, nil outside confirm mode) when it has not yet.
    /// Loop only.
    func numberOnLoop(startingAt next: UInt64?) -> (number: Numbered, before: [Item])? {
        state.withLock { state in
            if let next { start(&state, at: next) }
            guard let number = state.takeNumber() else { return nil }
            return (number, state.takeQueued())
        }
    }

    /// The channel closed (or its connection was lost): numbering stops, and publishes numbered
    /// before are not sent any more. Returns the number the next publish would have had (the
    /// numbers from the channel's next one up to it were given out and never sent), nil when
    /// not numbering. Loop only.
    func stopNumbering() -> UInt64? {
        state.withLock { state in
            guard let next = state.nextNumber else { return nil }
            state.nextNumber = nil
            numbering.store(false, ordering: .relaxed)
            state.generation += 1
            currentGeneration.store(state.generation, ordering: .relaxed)
            return next
        }
    }

    /// Whether a publish numbered here may still go out: it belongs to the current numbering.
    /// Loop only.
    func isCurrent(_ numbered: Numbered) -> Bool {
        numbered.generation == currentGeneration.load(ordering: .relaxed)
    }
}
