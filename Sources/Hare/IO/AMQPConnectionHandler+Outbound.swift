import AMQPProtocol
import NIOCore

/// Writing: every frame is encoded into one outbound buffer, and the buffer is written and
/// flushed once per event-loop turn (or at the end of a read burst), so a burst of publishes
/// leaves in one system call.
extension AMQPConnectionHandler {
    /// Encodes a method frame. Requests are checked by `checkEncodable` before they reach a
    /// machine, so only values the client built itself get here; an error is a bug, logged.
    func write(method: AMQP.Method, channel: UInt16) {
        do {
            try outbound.writeAMQPFrame(.method(channel: channel, method))
        } catch {
            logger.error("cannot encode \(method.name)", metadata: ["error": "\(error)"])
        }
        scheduleFlush()
    }

    /// Encodes basic.publish, its header and its body frames.
    func write(publish request: PublishRequest, channel: UInt16) {
        let frameMax = Int(limits?.frameMax ?? UInt32(AMQPLimits.minimumFrameMax))
        do {
            try outbound.writeAMQPMessage(
                channel: channel, method: request.method, properties: request.properties, body: request.body, frameMax: frameMax
            )
        } catch {
            logger.error("cannot encode basic.publish", metadata: ["error": "\(error)"])
        }
        scheduleFlush()
    }

    func writeProtocolHeader() {
        outbound.writeAMQPProtocolHeader()
        scheduleFlush()
    }

    func writeHeartbeat() {
        outbound.writeAMQPHeartbeatFrame()
        scheduleFlush()
    }

    /// Checks that a request can be encoded (short strings within 255 bytes and the like), so
    /// a bad value fails the request that carries it and nothing else.
    func checkEncodable(_ method: AMQP.Method) throws(AMQPProtocolError) {
        _ = try method.encodedSize()
    }

    func scheduleFlush() {
        guard !flushScheduled, let context else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolatedUnsafeUnchecked().execute { [self] in
            flushNow()
        }
    }

    func flushNow() {
        flushScheduled = false
        if readPauseRequested || readsPaused { reconsiderReading() }
        guard let context, outbound.readableBytes > 0 else { return }
        let bytes = outbound
        outbound = context.channel.allocator.buffer(capacity: Swift.max(4096, Swift.min(bytes.readableBytes, 1 << 20)))
        heartbeat.frameSent()
        guard !machine.isOpen else {
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
            if !writeWaiters.isEmpty { scheduleWriteDrain() }
            return
        }
        // During the handshake, a failed write (a reset, a broken pipe) closes the channel
        // without an errorCaught: remember its error, so the end reads as the network's failure
        // rather than a refusal. (Once open, any end of the stream is a lost stream anyway, and
        // the publishing path stays free of promises.)
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolatedUnsafeUnchecked().whenFailure { [self] error in
            if writeFailure == nil { writeFailure = IOFailure(error) }
        }
        context.writeAndFlush(wrapOutboundOut(bytes), promise: written)
        if !writeWaiters.isEmpty { scheduleWriteDrain() }
    }
}
