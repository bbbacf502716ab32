import NIOCore

/// Pausing socket reads (TCP backpressure) for consumers whose application is slower than the
/// broker. Call on the connection's event loop only.
///
/// A pause is a request, not an order: while anything on the connection waits for the broker
/// (an RPC, a publisher confirm, a channel or the connection opening or closing, an
/// update-secret), reads go on, because the answer can only arrive through the socket. Without
/// that, a consumer whose loop body awaits an RPC while its own buffer is full would wait for a
/// reply nobody reads: a deadlock. The request is looked at again after every flush and every
/// read burst.
extension AMQPConnectionHandler {
    /// Asks to stop reading from the socket (false) or to read again (true). While reads are
    /// off, nothing more is read once the current read burst is decoded: the kernel's receive
    /// buffer fills and TCP flow control slows the broker down. Writes (heartbeats included) go
    /// on.
    func setReading(_ enabled: Bool) {
        readPauseRequested = !enabled
        reconsiderReading()
    }

    /// Applies the pause request unless the connection waits for the broker.
    func reconsiderReading() {
        let shouldRead = !readPauseRequested || awaitsBroker
        guard shouldRead == readsPaused, finalError == nil, let context else { return }
        readsPaused = !shouldRead
        if let options = context.channel.syncOptions {
            do {
                try options.setOption(ChannelOptions.autoRead, value: shouldRead)
            } catch {
                logger.debug("cannot change autoRead", metadata: ["error": "\(error)"])
            }
        } else {
            context.channel.setOption(ChannelOptions.autoRead, value: shouldRead).whenFailure { [logger] error in
                logger.debug("cannot change autoRead", metadata: ["error": "\(error)"])
            }
        }
        if shouldRead { context.read() }
    }

    /// Whether an answer from the broker is awaited anywhere on the connection.
    var awaitsBroker: Bool {
        !machine.isOpen || !updateSecretWaiters.isEmpty || !awaitingCloseOk.isEmpty
            || channels.values.contains { $0.machine.awaitsBroker }
    }

    /// The broker is not silent, the client is not listening: while reads are paused, frames the
    /// broker sends wait in the socket, so the heartbeat monitor must not count their absence.
    /// While reads go on (the pause is only requested), silence counts as usual.
    func readingPausedTick() {
        if readsPaused { heartbeat.frameReceived() }
    }
}
