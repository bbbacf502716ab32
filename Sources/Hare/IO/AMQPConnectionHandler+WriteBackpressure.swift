import NIOCore

/// Write backpressure for publishers: when the broker reads slower than the application
/// publishes (a slow link, a broker that stopped reading under a memory or disk alarm), publishes
/// wait here instead of piling up in memory. Call on the connection's event loop only.
///
/// Only publishes wait. Acks, RPCs and heartbeats go straight to the outbound buffer: they are
/// small, and holding them back would keep the broker from freeing what blocks it.
extension AMQPConnectionHandler {
    /// NIO's pending-write bounds: the socket counts as unwritable above 1 MiB of unsent bytes and
    /// writable again below 256 KiB.
    static let writeBufferWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 256 * 1024, high: 1024 * 1024)

    /// The most bytes one loop turn queues for publishes before the rest wait for the next turn
    /// (the outbound buffer is flushed once per turn).
    static let outboundTurnLimit = 1024 * 1024

    /// Whether a publish may go out now: the socket is writable and this turn's buffer has room.
    var acceptsPublishes: Bool {
        guard let context else { return true }
        return context.channel.isWritable && outbound.readableBytes < Self.outboundTurnLimit
    }

    /// Whether `whenWritable` would run its work at once, with success.
    var acceptsPublishesNow: Bool {
        !hasEnded && writeWaiters.isEmpty && acceptsPublishes
    }

    /// Runs `work` with success once a publish may go out, after every publish that waited before
    /// it (first come, first served); at once when nothing waits and the socket has room. When the
    /// connection ends first, `work` gets the connection's error.
    func whenWritable(_ work: @escaping (Result<Void, any Error>) -> Void) {
        if hasEnded, let finalError {
            work(.failure(finalError))
        } else if writeWaiters.isEmpty, acceptsPublishes {
            work(.success(()))
        } else {
            writeWaiters.append(work)
        }
    }

    /// Lets waiting publishes go while the socket has room.
    func drainWriteWaiters() {
        writeDrainScheduled = false
        while !hasEnded, acceptsPublishes, let work = writeWaiters.popFirst() {
            work(.success(()))
        }
    }

    /// Drains on the next loop turn, so that what arrived meanwhile (acks, replies) goes first.
    func scheduleWriteDrain() {
        guard !writeDrainScheduled, let context else { return }
        writeDrainScheduled = true
        context.eventLoop.assumeIsolatedUnsafeUnchecked().execute { [self] in
            drainWriteWaiters()
        }
    }

    /// The connection ended: every waiting publish fails with `error`.
    func failWriteWaiters(_ error: any Error) {
        let waiters = writeWaiters
        writeWaiters.removeAll()
        for work in waiters { work(.failure(error)) }
    }
}
