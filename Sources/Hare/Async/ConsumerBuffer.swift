import NIOCore

/// The bounded buffer between a consumer's loop side, which yields each socket read's
/// deliveries (`Element`s) at once, and the one task that iterates the `Consumer`.
///
/// The iterating side waits in the caller's own isolation (`nonisolated(nonsending)`): a
/// consumer loop on an actor (the main actor of a command-line tool, or an actor that runs on
/// the connection's event loop) is resumed there, not on the global executor first and then
/// hopped back, which would cost two thread switches per delivery.
///
/// Backpressure: once `high` deliveries wait unread, `yield` says stop; once the application has
/// read them down to `low`, `produceMore` runs. The application stopping (its task cancelled, the
/// iterator or an uniterated consumer dropped, or the end read) runs `terminated` once.
final class ConsumerBuffer<Element: Sendable>: Sendable {
    /// What the loop side should do after a `yield`.
    enum YieldResult: Equatable {
        /// Go on delivering.
        case produceMore
        /// Stop reading until `produceMore` runs.
        case stopProducing
        /// The application stopped iterating: the deliveries were dropped.
        case dropped
    }

    private struct State {
        var deliveries = CircularBuffer<Element>()
        /// The iterating task, waiting for a delivery or the end.
        var waiter: UnsafeContinuation<Element?, any Error>?
        /// `finish` was called: once `deliveries` are read, the end (`failure`, else nil).
        var finished = false
        var failure: (any Error)?
        /// The application stopped iterating; `terminated` ran or is about to.
        var terminated = false
        /// `yield` said stop; `produceMore` runs once the buffer is read down to `low`.
        var stopped = false
        /// An iterator was made (the consumer dropped without one terminates it).
        var iterated = false
    }

    private let state = Guarded(State())
    private let low: Int
    private let high: Int
    private let produceMore: @Sendable () -> Void
    private let terminated: @Sendable () -> Void

    init(low: Int, high: Int, produceMore: @escaping @Sendable () -> Void, terminated: @escaping @Sendable () -> Void) {
        self.low = low
        self.high = high
        self.produceMore = produceMore
        self.terminated = terminated
    }

    // MARK: The loop's side

    /// Appends `deliveries` (and wakes the iterating task once, if it waits).
    func yield(contentsOf deliveries: [Element]) -> YieldResult {
        guard !deliveries.isEmpty else { return .produceMore }
        let (result, waiter, first) = state.withLock { state -> (YieldResult, UnsafeContinuation<Element?, any Error>?, Element?) in
            guard !state.terminated, !state.finished else { return (.dropped, nil, nil) }
            var rest = deliveries[...]
            var first: Element?
            let waiter = state.waiter
            if waiter != nil {
                state.waiter = nil
                first = rest.popFirst()
            }
            state.deliveries.append(contentsOf: rest)
            guard state.deliveries.count >= high else { return (.produceMore, waiter, first) }
            state.stopped = true
            return (.stopProducing, waiter, first)
        }
        waiter?.resume(returning: first)
        return result
    }

    /// Ends the sequence once what it holds is read: with nil, or by throwing `error`.
    func finish(_ error: (any Error)? = nil) {
        let waiter = state.withLock { state -> UnsafeContinuation<Element?, any Error>? in
            guard !state.finished else { return nil }
            state.finished = true
            state.failure = error
            defer { state.waiter = nil }
            return state.waiter  // waits only while `deliveries` is empty
        }
        guard let waiter else { return }
        if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        stop(with: nil)  // the end was read: nothing waits any more
    }

    // MARK: The application's side

    /// Marks the buffer as iterated; false when it already was.
    func claimIterator() -> Bool {
        state.withLock { state in
            defer { state.iterated = true }
            return !state.iterated
        }
    }

    /// The consumer was dropped: without an iterator, that ends it.
    func sequenceDropped() {
        let terminate = state.withLock { state in !state.iterated && !state.terminated }
        if terminate { stop(with: nil) }
    }

    /// The iterator was dropped.
    func iteratorDropped() {
        stop(with: nil)
    }

    /// What `next` does.
    private enum Step {
        case element(Element, produceMore: Bool)
        case end((any Error)?)
        case cancelled
        case wait
    }

    /// Takes the next element, or says why there is none.
    private static func take(_ state: inout State, low: Int) -> Step {
        if let element = state.deliveries.popFirst() {
            let resume = state.stopped && state.deliveries.count <= low
            if resume { state.stopped = false }
            return .element(element, produceMore: resume)
        }
        if state.finished {
            defer { state.failure = nil }
            return .end(state.failure)
        }
        return state.terminated ? .cancelled : .wait
    }

    /// The next delivery; nil at the end; throws the end's error or `CancellationError`.
    nonisolated(nonsending) func next() async throws -> Element? {
        if Task.isCancelled {
            stop(with: nil)
            throw CancellationError()
        }
        let step = state.withLock { Self.take(&$0, low: low) }
        switch step {
        case .element(let element, let resume):
            if resume { produceMore() }
            return element
        case .end(let error):
            stop(with: nil)
            if let error { throw error }
            return nil
        case .cancelled:
            throw CancellationError()
        case .wait:
            break
        }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Element?, any Error>) in
                let step = state.withLock { state -> Step in
                    let step = Self.take(&state, low: low)
                    if case .wait = step { state.waiter = continuation }
                    return step
                }
                switch step {
                case .element(let element, let resume):
                    if resume { produceMore() }
                    continuation.resume(returning: element)
                case .end(let error):
                    stop(with: nil)
                    if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: nil) }
                case .cancelled:
                    continuation.resume(throwing: CancellationError())
                case .wait:
                    break
                }
            }
        } onCancel: {
            stop(with: CancellationError())
        }
    }

    /// The application stopped (or read the end): a waiting `next` ends (with `error`, else nil),
    /// and `terminated` runs the first time.
    private func stop(with error: (any Error)?) {
        let (waiter, first) = state.withLock { state -> (UnsafeContinuation<Element?, any Error>?, Bool) in
            defer {
                state.waiter = nil
                state.terminated = true
            }
            return (state.waiter, !state.terminated)
        }
        if let waiter {
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
        if first { terminated() }
    }
}
