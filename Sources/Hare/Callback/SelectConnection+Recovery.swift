import AMQPProtocol
import Logging
import NIOCore
import Synchronization

/// Recovery: from a lost handler to a new one with the channels, topology and consumers back.
/// Everything here runs on the loop.
extension SelectConnection {
    /// The handler is going down with `error`; decides, before its channels are told, whether
    /// this is a loss that recovery handles.
    func handlerClosing(_ error: any AMQPConnectionError) {
        let current = status.current
        guard recovery.isEnabled, current == .open || current == .recovering, connectionLossIsRecoverable(error) else { return }
        status.set(.recovering)
        let progress: RecoveryProgress
        if let existing = recoveryProgress {
            progress = existing
        } else {
            progress = RecoveryProgress(lostWith: error)
            recoveryProgress = progress
            logger.warning("connection lost; recovering", metadata: ["error": "\(error)"])
            emit(.started(error))
        }
        progress.handlerLost = true
    }

    /// The handler is gone: recovery goes on (the next attempt), or the connection is closed.
    func handlerClosed(_ error: any AMQPConnectionError) {
        // The application closed the connection during the loss's own callbacks: done already.
        guard status.current != .closed else { return }
        guard let progress = recoveryProgress, progress.handlerLost, status.current == .recovering else {
            didClose(error)
            return
        }
        progress.handlerLost = false
        handler = nil
        scheduleNextAttempt(after: progress.attempt > 0 ? error : nil)
    }

    /// Whether the handler going down now leaves its channels waiting for a recovery.
    var handlerLost: Bool { recoveryProgress?.handlerLost ?? false }

    /// Runs `work` once the connection is open again (`.success`), or fails it per
    /// `RecoveryOptions.whileRecovering`, or when the connection closes for good.
    func whenRecovered(_ what: String, _ work: @escaping (Result<Void, any Error>) -> Void) {
        guard let progress = recoveryProgress else {
            work(.failure(ConnectionWrongStateError(reason: "\(what): the connection is not open")))
            return
        }
        switch recovery.whileRecovering {
        case .failFast:
            work(.failure(ConnectionRecoveringError(reason: "\(what): the connection is recovering", underlying: progress.lostWith)))
        case .wait(let timeout) where !timeout.isFinite || timeout > 1e9:
            // No bound: wait as long as the recovery takes.
            let id = progress.nextWaiterID
            progress.nextWaiterID += 1
            progress.waiters.append((id, work, nil))
        case .wait(let timeout):
            let id = progress.nextWaiterID
            progress.nextWaiterID += 1
            let timer = ioloop.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .clampedSeconds(Swift.max(0, timeout))) { [weak progress] in
                guard let progress, let index = progress.waiters.firstIndex(where: { $0.id == id }) else { return }
                let waiter = progress.waiters.remove(at: index)
                waiter.work(.failure(ConnectionRecoveringError(
                    reason: "\(what) waited \(timeout) s for the connection to recover", underlying: progress.lostWith
                )))
            }
            progress.waiters.append((id, work, timer))
        }
    }

    /// Releases every call waiting for the recovery.
    func finishRecoveryWaiters(_ result: Result<Void, any Error>, of progress: RecoveryProgress? = nil) {
        guard let progress = progress ?? recoveryProgress else { return }
        let waiters = progress.waiters
        progress.waiters.removeAll()
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.work(result)
        }
    }

    /// The application closed the connection while no handler was up: stop recovering and close.
    func abandonRecovery(_ error: ConnectionClosedByClient) {
        recoveryProgress?.timer?.cancel()
        workflow?.cancel(ConnectionOpenAborted(reason: "the application closed the connection while it recovered"))
        didClose(error)
    }

    func emit(_ event: RecoveryEvent) {
        for callback in onRecoveryCallbacks { callback(self, event) }
    }

    // MARK: Attempts

    private func scheduleNextAttempt(after error: (any Error)?) {
        guard let progress = recoveryProgress, status.current == .recovering else { return }
        let failure: any Error = error ?? progress.lostWith
        let next = progress.attempt + 1
        if let limit = recovery.maxAttempts, next > limit {
            if error != nil { emit(.attemptFailed(attempt: progress.attempt, error: failure, retryIn: nil)) }
            logger.error("recovery gave up", metadata: ["attempts": "\(progress.attempt)", "error": "\(failure)"])
            didClose((failure as? any AMQPConnectionError) ?? StreamLostError(reason: "recovery gave up", underlying: failure))
            return
        }
        let delay = RecoveryBackoff(recovery).delay(beforeAttempt: next, random: Double.random(in: 0...1))
        if error != nil {
            logger.info("recovery attempt failed", metadata: ["attempt": "\(progress.attempt)", "error": "\(failure)", "retry_in": "\(delay)"])
            emit(.attemptFailed(attempt: progress.attempt, error: failure, retryIn: delay))
        }
        progress.timer = ioloop.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .clampedSeconds(delay)) { [self] in
            progress.timer = nil
            progress.attempt = next
            reconnect(progress)
        }
    }

    private func reconnect(_ progress: RecoveryProgress) {
        guard recoveryProgress === progress, status.current == .recovering else { return }
        // One pass over the hosts per attempt; the backoff spaces the passes.
        let once = candidates.map { parameters -> ConnectionParameters in
            var parameters = parameters
            parameters.connectionAttempts = 1
            return parameters
        }
        let workflow = ConnectionWorkflow(candidates: once, eventLoop: ioloop.eventLoop, logger: logger) { [self] handler in
            wire(handler)
        }
        self.workflow = workflow
        workflow.run().assumeIsolatedUnsafeUnchecked().whenComplete { [self] result in
            if self.workflow === workflow { self.workflow = nil }
            guard recoveryProgress === progress, status.current == .recovering else {
                if case .success(let handler) = result { handler.close(replyCode: 200, replyText: "Normal shutdown") }
                return
            }
            switch result {
            case .success(let handler):
                self.handler = handler
                negotiated.withLock { $0 = (handler.limits, handler.serverProperties) }
                RecoveryRun(connection: self, handler: handler, progress: progress).start()
            case .failure(let error):
                scheduleNextAttempt(after: error)
            }
        }
    }

    /// The run restored everything on `handler`: the connection is open again.
    func recoverySucceeded(_ progress: RecoveryProgress) {
        guard recoveryProgress === progress, status.current == .recovering else { return }
        status.set(.open)
        logger.info("connection recovered", metadata: ["attempts": "\(progress.attempt)"])
        // Cleared first: a call released below that loses the connection again starts a
        // recovery of its own.
        recoveryProgress = nil
        emit(.succeeded(attempts: progress.attempt))
        finishRecoveryWaiters(.success(()), of: progress)
    }
}
