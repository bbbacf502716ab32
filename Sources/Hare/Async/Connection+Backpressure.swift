import NIOCore

/// How many consumers asked to stop reading from the socket (their buffer is full), and the
/// timer that keeps the heartbeat monitor quiet meanwhile. Loop only.
final class ReadPauses {
    var count = 0
    var keepAlive: RepeatedTask?
}

/// TCP backpressure for consumers, reference-counted: reads stop when the first consumer's
/// buffer fills and start again when the last one has room. Call on the loop only.
extension Connection {
    /// A consumer's buffer is full.
    func pauseReading() {
        let pauses = readPauses.value
        pauses.count += 1
        guard pauses.count == 1 else { return }
        select.setSocketReading(false)
        // Frames the broker sends meanwhile wait in the socket: that silence is ours, not a
        // dead peer's.
        let select = select
        pauses.keepAlive = eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(500), delay: .milliseconds(500)) { _ in
            select.socketReadingPausedTick()
        }
    }

    /// A consumer that paused reads has room again (or ended).
    func resumeReading() {
        let pauses = readPauses.value
        guard pauses.count > 0 else { return }
        pauses.count -= 1
        guard pauses.count == 0 else { return }
        pauses.keepAlive?.cancel()
        pauses.keepAlive = nil
        select.setSocketReading(true)
    }
}
