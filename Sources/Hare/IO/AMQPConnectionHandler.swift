import AMQPProtocol
import Logging
import NIOCore
import NIOSSL

/// The one place that performs I/O: a NIO handler that owns the connection machine and every
/// channel machine, decodes frames, routes them, and performs the machines' actions.
///
/// Everything here runs on the channel's event loop. The faces call the request methods
/// (`openChannel`, `rpc`, `publish`, ...) on that loop only; that confinement is why it is
/// `@unchecked Sendable` (futures of it cross no threads).
final class AMQPConnectionHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Connection-level events for the face.
    struct Events {
        var opened: (NegotiatedLimits) -> Void = { _ in }
        /// The connection is ending with this error; called before its channels are told.
        var closing: (any AMQPConnectionError) -> Void = { _ in }
        var closed: (any AMQPConnectionError) -> Void = { _ in }
        var blocked: (String) -> Void = { _ in }
        var unblocked: () -> Void = {}
    }

    var events = Events()
    let logger: Logger
    let blockedConnectionTimeout: Double?
    let closeTimeout: Double

    // The state below is touched on the connection's event loop only, and never through two
    // overlapping accesses (the state machines call out to nobody), so the per-access dynamic
    // exclusivity check (a thread-local lookup on every frame) is turned off for it.
    @exclusivity(unchecked) var machine: ConnectionStateMachine
    @exclusivity(unchecked) var parser: AMQPFrameParser
    /// The consumer tags and queue names this connection keeps receiving, decoded once.
    let strings = AMQPStringCache()
    @exclusivity(unchecked) var context: ChannelHandlerContext?
    @exclusivity(unchecked) var inbound: ByteBuffer?
    /// `inbound` is a buffer `joined` made and no frame has been parsed from it yet: nothing
    /// else shares its storage, so the next read is appended in place (a large frame arriving
    /// over many reads is copied once, not once per read).
    @exclusivity(unchecked) var inboundIsPrivate = false
    /// Whether `channelRead` is decoding and routing a read (a read arriving then is queued).
    /// What is written meanwhile is flushed by the read's end (`channelReadComplete`) or, when
    /// the read fails instead, by the shutdown that `errorCaught` starts: no flush task.
    @exclusivity(unchecked) var decoding = false
    /// Reads that arrived while another was being routed, in order.
    @exclusivity(unchecked) var readsWhileDecoding = CircularBuffer<ByteBuffer>()
    /// What `afterRouting` was asked to do once the read being routed is all routed.
    @exclusivity(unchecked) var afterRoutingActions: [() -> Void] = []
    @exclusivity(unchecked) var outbound: ByteBuffer
    @exclusivity(unchecked) var flushScheduled = false
    /// How many flush tasks `scheduleFlush` put on the loop (for tests).
    @exclusivity(unchecked) var flushTasks = 0
    /// A slow consumer asked to stop reading from the socket (see `setReading`).
    @exclusivity(unchecked) var readPauseRequested = false
    /// Reading from the socket is actually off (`autoRead` false).
    @exclusivity(unchecked) var readsPaused = false
    /// Publishes waiting for the socket to drain (see `whenWritable`), oldest first.
    @exclusivity(unchecked) var writeWaiters = CircularBuffer<(Result<Void, any Error>) -> Void>()
    /// A drain of `writeWaiters` is scheduled for the next loop turn.
    var writeDrainScheduled = false
    @exclusivity(unchecked) var heartbeat = HeartbeatMonitor()
    var heartbeatTask: Scheduled<Void>?
    var blockedTimer: Scheduled<Void>?
    var closeTimer: Scheduled<Void>?
    /// When to raise the socket's receive low watermark (see `ReceiveCoalescer`).
    @exclusivity(unchecked) var receiveCoalescer: ReceiveCoalescer
    /// How long a coalescing connection goes without a read before it lets go.
    let receiveCoalescingDelay: TimeAmount
    /// The coalescer's next tick, while it is engaged.
    var coalescingTick: Scheduled<Void>?
    /// Frames and whole deliveries routed from the read being taken (for the coalescer).
    @exclusivity(unchecked) var messagesRouted = 0
    var updateSecretWaiters: [(Result<Void, any Error>) -> Void] = []
    @exclusivity(unchecked) var channels: [UInt16: ChannelSlot] = [:] {
        didSet {
            lastRouted = nil
            lastRequested = nil
        }
    }
    /// The channel the last frame went to: frames come in runs for one channel (a message is
    /// three frames), and comparing a number costs less than hashing it. Cleared whenever
    /// `channels` changes.
    @exclusivity(unchecked) private var lastRouted: (number: UInt16, slot: ChannelSlot)?
    /// The channel the last request (a publish, an ack, an RPC) went to, for the same reason: a
    /// publisher publishes on one channel. Kept apart from `lastRouted`, so that a connection
    /// that publishes on one channel and consumes on another hashes neither way. Cleared whenever
    /// `channels` changes.
    @exclusivity(unchecked) private var lastRequested: (number: UInt16, slot: ChannelSlot)?
    /// Channels whose close crossed the broker's: the broker still owes close-ok for ours, so the
    /// number stays reserved and its frames are dropped until then.
    @exclusivity(unchecked) var awaitingCloseOk: Set<UInt16> = []
    var lastChannelNumber: UInt16 = 0
    /// The error of the first failed write, if any (NIO closes the channel without telling
    /// `errorCaught`).
    var writeFailure: IOFailure?
    /// Set once the connection has ended; `closed` was called with it.
    var finalError: (any AMQPConnectionError)? {
        didSet { hasEnded = finalError != nil }
    }
    /// Whether `finalError` is set: checked after every frame, where copying the existential
    /// out to compare it with nil would cost more than routing the frame.
    @exclusivity(unchecked) private(set) var hasEnded = false

    /// Creates a handler; `receiveCoalescingBytes` 0 (the default) turns receive coalescing off.
    init(
        configuration: ConnectionConfiguration, maxBodySize: Int, blockedConnectionTimeout: Double?, closeTimeout: Double,
        receiveCoalescingBytes: Int = 0, receiveCoalescingDelay: Double = TCPOptions.defaultReceiveCoalescingDelay, logger: Logger
    ) {
        machine = ConnectionStateMachine(configuration: configuration)
        receiveCoalescer = ReceiveCoalescer(bytes: Self.systemSupportsReceiveCoalescing ? receiveCoalescingBytes : 0)
        self.receiveCoalescingDelay = .clampedSeconds(receiveCoalescingDelay)
        parser = AMQPFrameParser(maxFrameSize: AMQPLimits.minimumFrameMax, maxBodySize: maxBodySize)
        self.blockedConnectionTimeout = blockedConnectionTimeout
        self.closeTimeout = closeTimeout
        self.logger = logger
        outbound = ByteBuffer()
    }

    /// The negotiated limits once tuned.
    var limits: NegotiatedLimits? { machine.limits }

    /// The broker's properties from connection.start.
    var serverProperties: FieldTable { machine.serverProperties }

    // MARK: NIO events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        outbound = context.channel.allocator.buffer(capacity: Self.outboundInitialCapacity)
        if context.channel.isActive { perform(machine.connected()) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopCoalescing()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(machine.connected())
        context.fireChannelActive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { drainWriteWaiters() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(machine.streamClosed(ioError: writeFailure))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("I/O error", metadata: ["error": "\(error)"])
        if !machine.isOpen, error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError {
            perform(machine.timedOut(TLSError(reason: "the TLS handshake or stream failed", underlying: IOFailure(error))))
        } else {
            perform(machine.streamClosed(ioError: IOFailure(error)))
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        guard !hasEnded else { return }
        heartbeat.frameReceived()
        guard !decoding else {
            // A read while routing (a handler in front re-entering the pipeline): it is taken
            // after the rest of the read being routed, in order.
            readsWhileDecoding.append(bytes)
            return
        }
        decoding = true
        messagesRouted = 0
        defer {
            runAfterRoutingActions()
            decoding = false
            coalesceAfterRead(bytes.readableBytes, messages: messagesRouted)
        }
        let allocator = context.channel.allocator
        var next: ByteBuffer? = bytes
        while let read = next {
            guard take(read, allocator: allocator) else {
                readsWhileDecoding.removeAll()
                return
            }
            next = readsWhileDecoding.popFirst()
        }
    }

    /// Runs `action` once every frame of the read being routed now has been routed (at once
    /// when no read is being routed). A consumer that hands deliveries to another thread uses it
    /// to hand over a read's deliveries together: one wake-up per read, not per delivery.
    func afterRouting(_ action: @escaping () -> Void) {
        if decoding {
            afterRoutingActions.append(action)
        } else {
            action()
        }
    }

    private func runAfterRoutingActions() {
        guard !afterRoutingActions.isEmpty else { return }
        var index = 0
        while index < afterRoutingActions.count {  // an action may add another
            let action = afterRoutingActions[index]
            action()
            index += 1
        }
        afterRoutingActions.removeAll(keepingCapacity: true)
    }

    /// Decodes and routes the frames `read` completes or holds. A frame split across reads is
    /// completed with only the bytes it lacks; the rest of the read is parsed where it lies, not
    /// copied in behind it. False when the connection is failing.
    private func take(_ read: ByteBuffer, allocator: ByteBufferAllocator) -> Bool {
        var bytes = read
        while let partial = inbound, bytes.readableBytes > 0 {
            let lacking = Swift.min(Self.bytesLacking(partial), bytes.readableBytes)
            appendInbound(bytes.readSlice(length: lacking)!, allocator: allocator)
            guard decodeFrames() else { return false }
        }
        guard bytes.readableBytes > 0 else { return !hasEnded }
        appendInbound(bytes, allocator: allocator)
        return decodeFrames()
    }

    /// How many bytes the frame at the front of `partial` lacks: up to the end of its header
    /// while that is not all here, else up to the end of the frame (whose size the parser has
    /// checked against the frame limit). At least one.
    private static func bytesLacking(_ partial: ByteBuffer) -> Int {
        let have = partial.readableBytes
        guard let payloadSize = partial.getInteger(at: partial.readerIndex + 3, as: UInt32.self) else {
            return Swift.max(7 - have, 1)
        }
        return Swift.max(Int(payloadSize) + AMQPLimits.frameOverhead - have, 1)
    }

    /// Puts `bytes` after what `inbound` holds.
    private func appendInbound(_ bytes: ByteBuffer, allocator: ByteBufferAllocator) {
        if var partial = inbound {
            inbound = nil  // one owner, so an append does not copy
            if inboundIsPrivate {
                partial.writeImmutableBuffer(bytes)
                inbound = partial
            } else {
                inbound = joined(partial, bytes, allocator: allocator)
                inboundIsPrivate = true
            }
        } else {
            inbound = bytes
            inboundIsPrivate = false
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushNow()
        context.fireChannelReadComplete()
    }

    // MARK: Decoding and routing

    /// Decodes and routes every whole frame in `inbound` in one pass over its memory; keeps
    /// what is left of a frame not all here yet. False when the connection is failing (a frame
    /// that cannot be decoded, or an error while routing).
    private func decodeFrames() -> Bool {
        guard var buffer = inbound, !hasEnded else { return !hasEnded }
        inbound = nil  // one owner while parsing, so slices and appends do not copy
        var routed = false
        do {
            try parser.parseFrames(
                &buffer, sharingStrings: strings,
                deliveries: { number, deliver, properties, body in
                    routed = true
                    messagesRouted &+= 1
                    routeDelivery(number, consume deliver, properties: consume properties, body: consume body)
                    return !hasEnded
                },
                frames: { frame in
                    routed = true
                    messagesRouted &+= 1
                    route(frame)
                    return !hasEnded
                }
            )
        } catch {
            perform(machine.decodingFailed(error))
            return false
        }
        guard !hasEnded else { return false }  // shut down while routing: nothing to keep
        inbound = buffer.readableBytes > 0 ? buffer : nil
        if routed {
            inboundIsPrivate = false  // what is left shares storage with what the frames hand out
        }
        return true
    }

    /// The bytes of `partial` (a frame not all here yet) followed by `more` (what it lacks), in
    /// a new buffer with room for the whole frame when its header is here.
    ///
    /// Not `partial` grown in place: its storage also backs the bodies of messages already
    /// delivered, which the application may be reading on another thread. Writing into that
    /// storage once they are released is safe, but nothing a thread sanitizer can see orders it
    /// after their reads (the reference counts live in the uninstrumented runtime), so in-place
    /// growth would be reported as a data race. The new buffer is ours alone until a frame is
    /// parsed from it (`inboundIsPrivate`): later reads of the same frame append in place.
    private func joined(_ partial: ByteBuffer, _ more: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var capacity = partial.readableBytes + more.readableBytes
        if let payloadSize = partial.getInteger(at: partial.readerIndex + 3, as: UInt32.self) {
            // The parser checked this size against the frame limit before waiting for the rest.
            capacity = Swift.max(capacity, Swift.min(Int(payloadSize) + AMQPLimits.frameOverhead, parser.maxFrameSize))
        }
        var joined = allocator.buffer(capacity: capacity)
        joined.writeImmutableBuffer(partial)
        joined.writeImmutableBuffer(more)
        return joined
    }

    private func route(_ frame: consuming AMQPFrame) {
        switch consume frame {
        case .heartbeat:
            return
        case .method(let number, let method):
            // The connection's own channel is checked in here, not by a `.method(0, _)` case: a
            // case with a condition makes the match copy the method first.
            if number == 0 {
                perform(machine.received(method))
                return
            }
            if !awaitingCloseOk.isEmpty, awaitingCloseOk.contains(number) {
                if case .channelCloseOk = method { awaitingCloseOk.remove(number) }
                return
            }
            // The channel of the frame before, else a lookup: only the lookup's error message
            // needs the method's name (a closure naming it would copy the method first).
            let slot: ChannelSlot
            if let routed = routedSlot(number) {
                slot = routed
            } else {
                guard let found = openSlot(number, frame: "method \(method.name)") else { return }
                slot = found
            }
            var crossing = false
            if slot.machine.state == .closing, case .channelClose = method {
                // Both sides closed at once: the broker answers our close with close-ok later.
                crossing = true
            }
            let action = slot.machine.received(consume method)
            if crossing { awaitingCloseOk.insert(number) }
            perform(action, on: number, slot: slot)
        case .header(let number, let header):
            if !awaitingCloseOk.isEmpty, awaitingCloseOk.contains(number) { return }
            guard let slot = routedSlot(number) ?? openSlot(number, frame: "content header") else { return }
            perform(slot.machine.received(consume header), on: number, slot: slot)
        case .body(let number, let body):
            if !awaitingCloseOk.isEmpty, awaitingCloseOk.contains(number) { return }
            guard let slot = routedSlot(number) ?? openSlot(number, frame: "content body") else { return }
            perform(slot.machine.received(body: consume body), on: number, slot: slot)
        }
    }

    /// A delivery whose three frames came whole in one read: one step for the channel's
    /// machine instead of three. When the channel cannot take it whole (closing, not open, a
    /// message half received), its frames are routed one by one, as they came.
    private func routeDelivery(
        _ number: UInt16, _ deliver: consuming AMQP.Basic.Deliver, properties: consuming AMQP.BasicProperties,
        body: consuming ByteBuffer
    ) {
        if awaitingCloseOk.isEmpty, let slot = routedSlot(number) ?? knownSlot(number), slot.machine.takesWholeDeliveries {
            switch slot.machine.receivedDelivery(&deliver) {
            case .consumer:
                slot.deliver(ContentMessage(method: .deliver(consume deliver), properties: consume properties, body: consume body), on: number)
            case .noConsumer(let autoAck):
                dropDelivery(deliver, autoAck: autoAck, on: number, slot: slot)
            }
            return
        }
        let bodySize = body.readableBytes
        route(.method(channel: number, .basicDeliver(deliver)))
        guard !hasEnded else { return }
        route(.header(channel: number, AMQPContentHeader(bodySize: UInt64(bodySize), properties: properties)))
        guard !hasEnded, bodySize > 0 else { return }
        route(.body(channel: number, body))
    }

    /// The channel the last frame went to, when this frame is for it too.
    @inline(__always)
    private func routedSlot(_ number: UInt16) -> ChannelSlot? {
        guard let lastRouted, lastRouted.number == number, machine.isOpen else { return nil }
        return lastRouted.slot
    }

    /// The open channel `number` of an open connection (remembered as the last routed), or nil.
    private func knownSlot(_ number: UInt16) -> ChannelSlot? {
        guard machine.isOpen, let slot = channels[number] else { return nil }
        lastRouted = (number, slot)
        return slot
    }

    /// The open channel `number` of an open connection for a request (remembered as the last
    /// requested), or nil.
    @inline(__always)
    func requestedSlot(_ number: UInt16) -> ChannelSlot? {
        guard machine.isOpen else { return nil }
        if let lastRequested, lastRequested.number == number { return lastRequested.slot }
        guard let slot = channels[number] else { return nil }
        lastRequested = (number, slot)
        return slot
    }

    /// The open channel `number` (remembered as the last routed), or nil after failing the
    /// connection for a frame (`frame` names it) on a channel that is not open.
    private func openSlot(_ number: UInt16, frame: @autoclosure () -> String) -> ChannelSlot? {
        if let slot = knownSlot(number) { return slot }
        guard machine.isOpen else {
            if case .closing = machine.state { return nil }
            perform(machine.protocolViolation(
                code: AMQP.ReplyCode.unexpectedFrame.rawValue,
                reason: "a \(frame()) frame on channel \(number) before the connection is open"
            ))
            return nil
        }
        perform(machine.protocolViolation(
            code: AMQP.ReplyCode.channelError.rawValue,
            reason: "a \(frame()) frame on channel \(number), which is not open"
        ))
        return nil
    }
}
