import AMQPProtocol
import NIOCore

/// Running the application's callbacks on its own thread: `processDataEvents`, `sleep`,
/// thread-safe callbacks, timers and blocked notices (Pika's `process_data_events`, `sleep`,
/// `add_callback_threadsafe`, `call_later`, `add_on_connection_blocked_callback`, ...).
extension BlockingConnection {
    /// Runs pending callbacks (consumer deliveries, timers, `addCallbackThreadsafe` blocks,
    /// blocked notices, returned messages) on the calling thread. Waits at most `timeLimit`
    /// seconds for the first one, then runs everything pending and returns; 0 (the default)
    /// only runs what is already pending, nil waits as long as it takes. I/O and heartbeats do
    /// not need this call: the loop does them on its own thread.
    ///
    /// Called from one of the connection's callbacks it runs nothing (callbacks never nest, as
    /// in Pika) and only waits out `timeLimit`.
    ///
    /// - Throws: why the connection closed, once it has (`ConnectionWrongStateError` when the
    ///   application closed it), `BlockingCallOnEventLoopError`, or `ConnectionWrongStateError`
    ///   when `timeLimit` is nil and it is called from one of the connection's callbacks (it
    ///   could only return when the connection closes).
    public func processDataEvents(timeLimit: Double? = 0) throws {
        try core.checkNotOnLoop("processDataEvents")
        if ContinuousClock.Instant.after(seconds: timeLimit ?? .infinity) == nil, core.isDispatching {
            throw ConnectionWrongStateError(
                reason: "processDataEvents(timeLimit: nil) was called from a callback of the same connection: "
                    + "callbacks do not nest, so it would wait until the connection closes; pass a time limit"
            )
        }
        let core = core
        _ = core.gate.wait(until: .after(seconds: timeLimit ?? .infinity)) {
            core.hasDispatchableEvents || core.closeError != nil
        }
        core.dispatchPending()
        try throwIfClosed()
    }

    /// Sleeps `seconds` while running callbacks as they come (Pika's `connection.sleep`): the
    /// safe way for a consumer script to pause.
    ///
    /// - Throws: see `processDataEvents(timeLimit:)`.
    public func sleep(_ seconds: Double) throws {
        try core.checkNotOnLoop("sleep")
        guard let deadline = ContinuousClock.Instant.after(seconds: seconds) else {
            throw ConnectionWrongStateError(reason: "sleep(\(seconds)): not a finite number of seconds")
        }
        repeat {
            let remaining = deadline - ContinuousClock.now
            let seconds = Double(remaining.components.seconds) + Double(remaining.components.attoseconds) / 1e18
            try processDataEvents(timeLimit: Swift.max(seconds, 0))
        } while ContinuousClock.now < deadline
    }

    /// Queues `callback` to run on the connection's application thread during the next
    /// `processDataEvents` (or `sleep`, `startConsuming`, `consume` iteration). The one method
    /// that is safe from any thread, the loop's included.
    ///
    /// - Throws: `ConnectionWrongStateError` when the connection is closed.
    public func addCallbackThreadsafe(_ callback: @escaping @Sendable () -> Void) throws {
        guard !isClosed else {
            throw ConnectionWrongStateError(reason: "addCallbackThreadsafe on a closed connection")
        }
        core.post(BlockingEvent(run: callback))
    }

    /// Runs `callback` on the application's thread once `delay` seconds have passed, during
    /// `processDataEvents` and friends (Pika's `call_later`). Returns a handle for
    /// `removeTimeout`. On a closed connection the callback never runs.
    @discardableResult
    public func callLater(_ delay: Double, _ callback: @escaping () -> Void) -> BlockingTimeoutHandle {
        let handle = BlockingTimeoutHandle()
        guard !isClosed else { return handle }  // its loop may be gone
        let core = core
        let event = BlockingEvent(run: { if !handle.isCancelled { callback() } })
        handle.scheduled = selectConnection.ioloop.callLater(delay) { core.post(event) }
        return handle
    }

    /// Cancels a `callLater` callback that has not run yet.
    public func removeTimeout(_ handle: BlockingTimeoutHandle) {
        handle.cancel()
    }

    /// Adds a callback for connection.blocked (a broker memory or disk alarm), run on the
    /// application's thread.
    public func addOnConnectionBlockedCallback(_ callback: @escaping (BlockingConnection, AMQP.Connection.Blocked) -> Void) {
        if onBlockedCallbacks.isEmpty {
            let core = core
            selectConnection.addOnConnectionBlockedCallback { [weak self] _, blocked in
                core.post(BlockingEvent(run: {
                    guard let self else { return }
                    for callback in self.onBlockedCallbacks { callback(self, blocked) }
                }))
            }
        }
        onBlockedCallbacks.append(callback)
    }

    /// Adds a callback for recovery's progress (with `recovery` on): started, failed attempts,
    /// renamed queues, entities that could not come back, succeeded. Run on the application's
    /// thread, from `processDataEvents` or a blocking call, like the other callbacks.
    public func addOnRecoveryCallback(_ callback: @escaping (BlockingConnection, RecoveryEvent) -> Void) {
        if onRecoveryCallbacks.isEmpty {
            let core = core
            selectConnection.addOnRecoveryCallback { [weak self] _, event in
                core.post(BlockingEvent(run: {
                    guard let self else { return }
                    for callback in self.onRecoveryCallbacks { callback(self, event) }
                }))
            }
        }
        onRecoveryCallbacks.append(callback)
    }

    /// Adds a callback for connection.unblocked, run on the application's thread.
    public func addOnConnectionUnblockedCallback(
        _ callback: @escaping (BlockingConnection, AMQP.Connection.Unblocked) -> Void
    ) {
        if onUnblockedCallbacks.isEmpty {
            let core = core
            selectConnection.addOnConnectionUnblockedCallback { [weak self] _, unblocked in
                core.post(BlockingEvent(run: {
                    guard let self else { return }
                    for callback in self.onUnblockedCallbacks { callback(self, unblocked) }
                }))
            }
        }
        onUnblockedCallbacks.append(callback)
    }

    /// Replaces the secret the connection authenticated with (connection.update-secret) and
    /// waits for the broker's answer.
    @discardableResult
    public func updateSecret(_ newSecret: String, reason: String) throws -> AMQP.Connection.UpdateSecretOk {
        let select = selectConnection
        return try core.perform("connection.update-secret", scope: .connection) { completion in
            select.updateSecret(newSecret, reason: reason) { completion.resolve($0) }
        }
    }

    /// Throws why the connection closed, if it has.
    func throwIfClosed() throws {
        guard let error = core.closeError else { return }
        if error is ConnectionClosedByClient {
            throw ConnectionWrongStateError(reason: "the connection was closed by the application")
        }
        throw error
    }
}
