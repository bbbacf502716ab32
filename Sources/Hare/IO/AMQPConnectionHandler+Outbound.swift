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

    /// Encodes basic.publish, its header and its body frames (a publish that waited in its
    /// channel's queue). Requests are checked by `publish` before they reach a machine, so an
    /// error is a bug, logged.
    func write(publish request: PublishRequest, channel: UInt16) {
        do {
            write(publish: request, channel: channel, layout: try request.layout(frameMax: frameMax))
        } catch {
            logger.error("cannot encode basic.publish", metadata: ["error": "\(error)"])
        }
    }

    /// Encodes basic.publish, its header and its body frames, laid out (and checked) beforehand.
    func write(publish request: PublishRequest, channel: UInt16, layout: AMQPMessageLayout) {
        outbound.writeAMQPMessage(channel: channel, method: request.method, properties: request.properties, body: request.body, layout: layout)
        scheduleFlush()
    }

    /// The largest frame the broker accepts: body frames are cut to fit it.
    var frameMax: Int { Int(limits?.frameMax ?? UInt32(AMQPLimits.minimumFrameMax)) }

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

    /// Flushes what was written at the end of this event-loop turn. Inside a read no task is
    /// needed: the read's end flushes (`channelReadComplete`, which NIO sends after every read
    /// from the socket that found the channel still active, and NIOSSL after every read it
    /// decrypts), or else the read failed and `errorCaught`'s shutdown flushes; so a reply
    /// written by a delivery's callback costs no task on the loop.
    func scheduleFlush() {
        guard !flushScheduled, !decoding, let context else { return }
        flushScheduled = true
        flushTasks &+= 1
        context.eventLoop.assumeIsolatedUnsafeUnchecked().execute { [self] in
            flushNow()
        }
    }

    func flushNow() {
        flushScheduled = false
        if readPauseRequested || readsPaused { reconsiderReading() }
        guard let context, outbound.readableBytes > 0 else { return }
        // Frames encoded while the write below is under way (a failure closing the connection
        // re-enters this handler) go to a buffer of their own, never behind these bytes.
        var bytes = outbound
        outbound = ByteBuffer()
        heartbeat.frameSent()
        if machine.isOpen {
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        } else {
            // During the handshake, a failed write (a reset, a broken pipe) closes the channel
            // without an errorCaught: remember its error, so the end reads as the network's
            // failure rather than a refusal. (Once open, any end of the stream is a lost stream
            // anyway, and the publishing path stays free of promises.)
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.assumeIsolatedUnsafeUnchecked().whenFailure { [self] error in
                if writeFailure == nil { writeFailure = IOFailure(error) }
            }
            context.writeAndFlush(wrapOutboundOut(bytes), promise: written)
        }
        recycle(&bytes)
        if !writeWaiters.isEmpty { scheduleWriteDrain() }
    }

    /// Makes the buffer just written the next outbound buffer, unless the write re-entered and
    /// started one. Once the socket took all of it (the usual case) nothing else holds its
    /// storage, and `clear()` keeps that storage, still warm in the cache, instead of
    /// allocating; a write still pending keeps its bytes and `clear()` gives this buffer storage
    /// of its own. A buffer grown past `outboundRecycleLimit` by a burst is let go.
    private func recycle(_ written: inout ByteBuffer) {
        guard outbound.capacity == 0, let context else { return }
        if written.capacity > Self.outboundRecycleLimit {
            outbound = context.channel.allocator.buffer(capacity: Self.outboundInitialCapacity)
        } else {
            written.clear()
            outbound = written
        }
    }

    /// The capacity of a new outbound buffer.
    static let outboundInitialCapacity = 4096
    /// The largest outbound buffer kept for the next turn.
    static let outboundRecycleLimit = 1 << 20
}
