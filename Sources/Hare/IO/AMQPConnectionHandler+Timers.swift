import AMQPProtocol
import NIOCore

/// Heartbeats, the blocked-connection timeout and the close timeout.
extension AMQPConnectionHandler {
    func startHeartbeat(_ interval: UInt16) {
        guard interval > 0, let context else { return }
        scheduleHeartbeat(period: .milliseconds(Int64(interval) * 500), on: context.eventLoop)
    }

    private func scheduleHeartbeat(period: TimeAmount, on eventLoop: any EventLoop) {
        heartbeatTask = eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: period) { [self] in
            heartbeatTick()
            if finalError == nil { scheduleHeartbeat(period: period, on: eventLoop) }
        }
    }

    func heartbeatTick() {
        guard finalError == nil else { return }
        switch heartbeat.tick() {
        case .none:
            break
        case .sendHeartbeat:
            writeHeartbeat()
        case .peerDead:
            logger.warning("no frame from the broker for two heartbeat intervals")
            perform(machine.heartbeatMissed())
        }
    }

    func startBlockedTimer() {
        guard let timeout = blockedConnectionTimeout, blockedTimer == nil, let context else { return }
        let loop = context.eventLoop.assumeIsolatedUnsafeUnchecked()
        blockedTimer = loop.scheduleTask(in: .clampedSeconds(timeout)) { [self] in
            blockedTimer = nil
            perform(machine.timedOut(ConnectionBlockedTimeout(timeout: timeout)))
        }
    }

    func startCloseTimer() {
        guard closeTimer == nil, let context else { return }
        let loop = context.eventLoop.assumeIsolatedUnsafeUnchecked()
        closeTimer = loop.scheduleTask(in: .clampedSeconds(closeTimeout)) { [self] in
            closeTimer = nil
            perform(machine.timedOut(AMQPConnectionTimeout(stage: "waiting for connection.close-ok", timeout: closeTimeout)))
        }
    }
}
