import NIOCore

/// Pausing socket reads (TCP backpressure) for consumers whose application is slower than the
/// broker. Call on the connection's event loop only.
extension AMQPConnectionHandler {
    /// Turns NIO's `autoRead` off (false) or back on (true). While it is off, nothing more is read
    /// from the socket once the current read burst is decoded: the kernel's receive buffer fills
    /// and TCP flow control slows the broker down. Writes (heartbeats included) go on.
    func setReading(_ enabled: Bool) {
        guard finalError == nil, let context else { return }
        if let options = context.channel.syncOptions {
            do {
                try options.setOption(ChannelOptions.autoRead, value: enabled)
            } catch {
                logger.debug("cannot change autoRead", metadata: ["error": "\(error)"])
            }
        } else {
            context.channel.setOption(ChannelOptions.autoRead, value: enabled).whenFailure { [logger] error in
                logger.debug("cannot change autoRead", metadata: ["error": "\(error)"])
            }
        }
        if enabled { context.read() }
    }

    /// The broker is not silent, the client is not listening: while reads are paused, frames the
    /// broker sends wait in the socket, so the heartbeat monitor must not count their absence.
    func readingPausedTick() {
        heartbeat.frameReceived()
    }
}
