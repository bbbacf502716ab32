import Logging
import NIOCore
import Synchronization

/// The state a `BlockingConnection`, its channels and the loop-side callbacks share: the
/// queue of events waiting for the application's thread, the gate every wait sleeps on, the
/// close reason, and the waits a close must wake.
final class BlockingCore: @unchecked Sendable {
    private struct State {
        /// Queued events: `events[head...]` (the taken prefix is dropped now and then).
        var events: [BlockingEvent] = []
        var head = 0
        var pendingCount: Int { events.count - head }

        mutating func takeFirst() -> BlockingEvent? {
            guard head < events.count else { return nil }
            let event = events[head]
            head += 1
            if head == events.count {
                events.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 && head * 2 >= events.count {
                events.removeFirst(head)
                head = 0
            }
            return event
        }
        var dispatching = false
        var closeError: (any Error)?
        var waits: [UInt64: (any Error) -> Void] = [:]
        var nextWaitID: UInt64 = 0
    }

    let gate = Gate()
    let eventLoop: any EventLoop
    let logger: Logger
    /// The bound of every RPC and confirm wait, in seconds.
    let rpcTimeout: Double
    private let state = Guarded(State())
    /// A wake-up waits for the end of the read being routed (`notifyAfterRouting`; loop only).
    private let notifyScheduled = Atomic<Bool>(false)

    init(eventLoop: any EventLoop, logger: Logger, rpcTimeout: Double) {
        self.eventLoop = eventLoop
        self.logger = logger
        self.rpcTimeout = rpcTimeout
    }

    // MARK: Guards and waits

    /// Throws `BlockingCallOnEventLoopError` when called on the connection's loop.
    func checkNotOnLoop(_ call: @autoclosure () -> String) throws(BlockingCallOnEventLoopError) {
        if eventLoop.inEventLoop {
            throw BlockingCallOnEventLoopError(
                reason: "\(call()) was called on the connection's event loop (from a callback of the loop); it would never return"
            )
        }
    }

    /// Why the connection closed, once it has.
    var closeError: (any Error)? { state.withLock { $0.closeError } }

    /// What a call on a closed connection throws.
    enum Scope {
        case connection, channel
    }

    /// Starts `body` on the loop with a completion, then waits for it (bounded by the RPC
    /// timeout; a connection close resolves it with the close error). On a closed connection
    /// it throws `ConnectionWrongStateError` or `ChannelWrongStateError` (by `scope`) at once.
    /// When the wait times out, `abandoned` runs on the loop (after `body`: the loop keeps the
    /// order), so that loop-side bookkeeping can drop what refers to the completion.
    func perform<Value>(
        _ operation: String, scope: Scope = .channel, timeout: Double? = nil,
        abandoned: ((Completion<Value>) -> Void)? = nil,
        _ body: @escaping (Completion<Value>) -> Void
    ) throws -> Value {
        try checkNotOnLoop(operation)
        let completion = Completion<Value>()
        let id: UInt64? = state.withLock { state in
            if let error = state.closeError {
                let reason = "\(operation): the connection is closed (\(error))"
                switch scope {
                case .connection: completion.resolve(.failure(ConnectionWrongStateError(reason: reason)))
                case .channel: completion.resolve(.failure(ChannelWrongStateError(reason: reason)))
                }
                return nil
            }
            state.nextWaitID += 1
            state.waits[state.nextWaitID] = { completion.resolve(.failure($0)) }
            return state.nextWaitID
        }
        defer { if let id { state.withLock { _ = $0.waits.removeValue(forKey: id) } } }
        if id != nil {
            let box = LoopConfined(value: body)
            eventLoop.execute { box.value(completion) }
        }
        let onTimeout = abandoned.map { abandoned in
            { [eventLoop] in
                let box = LoopConfined(value: { abandoned(completion) })
                eventLoop.execute { box.value() }
            }
        }
        return try completion.wait(seconds: timeout ?? rpcTimeout, operation: operation, onTimeout: onTimeout)
    }

    /// The connection closed: every wait ends with `error`, every sleeper wakes.
    func connectionClosed(_ error: any Error) {
        let waits = state.withLock { state -> [(any Error) -> Void] in
            if state.closeError == nil { state.closeError = error }
            defer { state.waits.removeAll() }
            return Array(state.waits.values)
        }
        for wait in waits { wait(error) }
        gate.notifyAll()
    }

    // MARK: Events for the application's thread

    /// Queues an event for the application's thread (from any thread).
    func post(_ event: BlockingEvent) {
        state.withLock { $0.events.append(event) }
        gate.notifyAll()
    }

    /// Queues a delivery's event (on the loop, while `handler` routes a read): the
    /// application's threads are woken once the whole read is routed, once for all its
    /// deliveries.
    func post(_ event: BlockingEvent, routedBy handler: AMQPConnectionHandler?) {
        state.withLock { $0.events.append(event) }
        notifyAfterRouting(handler)
    }

    /// Wakes the application's threads once `handler` has routed the read it is routing (at
    /// once without one): a read's deliveries wake a waiting thread once, not once each.
    func notifyAfterRouting(_ handler: AMQPConnectionHandler?) {
        guard let handler else {
            gate.notifyAll()
            return
        }
        guard !notifyScheduled.exchange(true, ordering: .relaxed) else { return }
        handler.afterRouting { [self] in
            notifyScheduled.store(false, ordering: .relaxed)
            gate.notifyAll()
        }
    }

    /// Whether events wait to be dispatched and nobody is dispatching them now.
    var hasDispatchableEvents: Bool {
        state.withLock { $0.pendingCount > 0 && !$0.dispatching }
    }

    /// Runs the events queued so far on the calling thread, one at a time and in order (a
    /// callback that cancels a consumer takes back its deliveries still queued behind it).
    /// Events queued meanwhile wait for the next call. Nested calls (from inside a callback)
    /// and concurrent ones do nothing, as in Pika: callbacks never nest.
    func dispatchPending() {
        let count = state.withLock { state -> Int in
            guard !state.dispatching, state.pendingCount > 0 else { return 0 }
            state.dispatching = true
            return state.pendingCount
        }
        guard count > 0 else { return }
        defer {
            state.withLock { $0.dispatching = false }
            gate.notifyAll()
        }
        for _ in 0..<count {
            let next = state.withLock { $0.takeFirst() }
            guard let next else { return }
            next.run()
        }
    }

    /// Whether the calling context is inside a dispatched callback (or another thread is).
    var isDispatching: Bool { state.withLock { $0.dispatching } }

    /// Takes back the undelivered messages of a cancelled consumer: without auto-ack they are
    /// rejected for requeue (as Pika does) and their number returned; with auto-ack they stay
    /// queued and still reach the callback (they are already acknowledged).
    func withdrawDeliveries(channel: ObjectIdentifier, consumerTag: String) -> Int {
        let withdrawn = state.withLock { state -> [BlockingEvent.Delivery] in
            var kept: [BlockingEvent] = []
            var taken: [BlockingEvent.Delivery] = []
            for event in state.events[state.head...] {
                if let delivery = event.delivery, delivery.channel == channel, delivery.consumerTag == consumerTag,
                    !delivery.autoAck
                {
                    taken.append(delivery)
                } else {
                    kept.append(event)
                }
            }
            state.events = kept
            state.head = 0
            return taken
        }
        for delivery in withdrawn { delivery.reject() }
        return withdrawn.count
    }
}
