import AMQPProtocol
import NIOCore

/// One channel's protocol as a pure state machine. It keeps one synchronous RPC in flight with a
/// FIFO queue behind it, assembles content, tracks publisher confirms and consumers, and says what
/// to send and whom to tell. `Pending` is whatever the I/O layer uses to complete a request
/// (a promise or a callback); the machine only stores and returns it.
///
/// Ordering: once anything waits in the queue, publishes and no-wait methods queue behind it, so
/// the wire order is the order the application asked for. Acks, nacks and rejects never wait.
struct ChannelStateMachine<Pending> {
    enum State: Equatable {
        case opening
        case open
        case closing
        case closed
    }

    /// Work the I/O layer writes, in order.
    enum Outbound {
        case method(AMQP.Method)
        case publish(PublishRequest)
    }

    /// What the I/O layer must do after an event.
    enum Action {
        case none
        case send(AMQP.Method)
        case succeed(Pending, ChannelReply)
        case fail(Pending, any Error)
        case deliver(ContentMessage)
        /// A delivery for a consumer tag the channel does not know (cancelled or never
        /// registered); `autoAck` is nil when nothing is known of the consumer.
        case unexpectedDelivery(ContentMessage, autoAck: Bool?)
        case returned(ContentMessage)
        case confirm(ConfirmEvent)
        /// The broker cancelled a consumer; answer with cancel-ok when `sendCancelOk`.
        case consumerCancelledByBroker(consumerTag: String, sendCancelOk: Bool)
        /// The broker paused or resumed the flow of content; answer with flow-ok.
        case flow(active: Bool)
        /// The channel sent close (when `send` is non-nil) and the requests that never went
        /// out fail with `error`.
        case closing(send: AMQP.Channel.Close, failed: [Pending], error: any Error)
        /// The channel is closed: fail `failed`, end every consumer in `consumers`, tell close
        /// listeners `error`, and write close-ok first when `sendCloseOk`. `closeWaiter`
        /// (the application's close request) succeeds.
        case closed(error: any Error, failed: [Pending], consumers: [String], unconfirmed: [UInt64], sendCloseOk: Bool, closeWaiter: Pending?)
        /// The broker broke the protocol on this channel: close the connection with `code`.
        case connectionError(code: UInt16, reason: String)
    }

    private struct RPC {
        var method: AMQP.Method
        var pending: Pending
        var expected: [UInt32]
    }

    private enum Queued {
        case rpc(RPC)
        case noReply(AMQP.Method)
        case publish(PublishRequest)
    }

    let channelNumber: UInt16
    private(set) var state: State = .opening
    private var opening: Pending?
    private var closeWaiter: Pending?
    /// What close listeners learn when the application's close completes.
    private var clientCloseReason: ChannelClosedByClient?
    private var inFlight: RPC?
    private var queue: [Queued] = []
    private var queueHead = 0
    private var content = ContentAssembler()
    private(set) var confirms: ConfirmTracker
    /// Confirm mode was asked for (sequence numbers are handed out from then on).
    private(set) var confirmMode = false
    /// Consumer tags and whether each acks automatically.
    private(set) var consumers: [String: Bool] = [:] {
        didSet { lastDeliveryTag = nil }
    }
    /// The consumer tag of the last delivery, while it is still a consumer: deliveries come in
    /// runs for one consumer, and comparing a tag costs less than hashing it.
    private var lastDeliveryTag: String?
    /// Consumers cancelled without waiting for cancel-ok, and whether each acked automatically:
    /// deliveries already on their way may still arrive for them.
    private(set) var retiredConsumers: [String: Bool] = [:]
    /// Whether the broker lets content flow (channel.flow).
    private(set) var flowActive = true

    /// Where the tags of a channel reopened by recovery start (zero for a new channel).
    let tagOffsets: TagOffsets
    /// The highest delivery tag handed to the application so far (in its numbering).
    private(set) var highestDeliveryTag: UInt64

    init(channelNumber: UInt16, continuing tagOffsets: TagOffsets = TagOffsets()) {
        self.channelNumber = channelNumber
        self.tagOffsets = tagOffsets
        highestDeliveryTag = tagOffsets.delivery
        confirms = ConfirmTracker(after: tagOffsets.publish)
    }

    /// Where the tags of a channel that replaces this one after a recovery start, so the
    /// application never sees a delivery tag or publish sequence number twice on one channel.
    var continuation: TagOffsets {
        TagOffsets(delivery: highestDeliveryTag, publish: confirms.nextSequenceNumber - 1)
    }

    // MARK: Requests from the application

    /// Opens the channel: send channel.open; `pending` completes at open-ok.
    mutating func open(_ pending: Pending) -> Action {
        opening = pending
        return .send(.channelOpen(AMQP.Channel.Open()))
    }

    /// A synchronous method: sent now when nothing is in flight, queued otherwise.
    mutating func rpc(_ method: AMQP.Method, _ pending: Pending) -> Action {
        if let error = refusal(for: method.name) { return .fail(pending, error) }
        if case .basicConsume(let consume) = method {
            if consumers[consume.consumerTag] != nil {
                return .fail(pending, DuplicateConsumerTag(consumerTag: consume.consumerTag))
            }
            consumers[consume.consumerTag] = consume.noAck
        }
        let expected = type(of: method.payload).responseTypes.map { Self.key($0.classID, $0.methodID) }
        guard !expected.isEmpty else {
            return .fail(pending, ChannelWrongStateError(reason: "\(method.name) has no reply to wait for; send it without waiting"))
        }
        if case .confirmSelect = method { confirmMode = true }
        let rpc = RPC(method: method, pending: pending, expected: expected)
        guard isIdle else {
            queue.append(.rpc(rpc))
            return .none
        }
        inFlight = rpc
        return .send(method)
    }

    /// An asynchronous method (a no-wait variant): sent now, or queued behind waiting work.
    mutating func send(_ method: AMQP.Method) -> Result<Action, ChannelWrongStateError> {
        if let error = refusal(for: method.name) { return .failure(error) }
        switch method {
        case .confirmSelect: confirmMode = true
        case .basicConsume(let consume):
            if consumers[consume.consumerTag] != nil {
                return .failure(ChannelWrongStateError(reason: "consumer tag '\(consume.consumerTag)' is already in use on channel \(channelNumber)"))
            }
            consumers[consume.consumerTag] = consume.noAck
        case .basicCancel(let cancel):
            retire(cancel.consumerTag)
        default: break
        }
        guard isIdle else {
            queue.append(.noReply(method))
            return .success(.none)
        }
        return .success(.send(method))
    }

    /// basic.ack, basic.nack and basic.reject: never queued, refused once the channel closes.
    /// The tag is the application's; `.success(nil)` means it names a delivery of the
    /// connection a recovery replaced, which the broker has requeued already: nothing is sent.
    mutating func acknowledge(_ method: AMQP.Method) -> Result<AMQP.Method?, ChannelWrongStateError> {
        if let error = refusal(for: method.name) { return .failure(error) }
        let offset = tagOffsets.delivery
        guard offset > 0 else { return .success(method) }
        switch method {
        case .basicAck(var ack):
            guard let tag = Self.wireTag(ack.deliveryTag, multiple: ack.multiple, offset: offset) else { return .success(nil) }
            ack.deliveryTag = tag
            return .success(.basicAck(ack))
        case .basicNack(var nack):
            guard let tag = Self.wireTag(nack.deliveryTag, multiple: nack.multiple, offset: offset) else { return .success(nil) }
            nack.deliveryTag = tag
            return .success(.basicNack(nack))
        case .basicReject(var reject):
            guard let tag = Self.wireTag(reject.deliveryTag, multiple: false, offset: offset) else { return .success(nil) }
            reject.deliveryTag = tag
            return .success(.basicReject(reject))
        default:
            return .success(method)
        }
    }

    /// The broker's tag for the application's `tag`, or nil when it belongs to a lost connection.
    private static func wireTag(_ tag: UInt64, multiple: Bool, offset: UInt64) -> UInt64? {
        if tag == 0, multiple { return 0 }  // everything outstanding
        return tag > offset ? tag - offset : nil
    }

    /// A publish: the request when it goes out now (numbered in confirm mode), nil when it
    /// waits behind queued work. The request is taken, not copied: it is handed back or queued.
    /// (It throws rather than returning a `Result`: a `Result` around the request cost an outlined
    /// copy and destroy of the whole enum on every publish.)
    mutating func publish(_ request: consuming PublishRequest) throws(ChannelWrongStateError) -> PublishRequest? {
        if let error = refusal(for: "basic.publish") { throw error }
        if confirmMode { request.sequenceNumber = confirms.publish() }
        guard isIdle else {
            queue.append(.publish(request))
            return nil
        }
        return request
    }

    /// The sequence number the next publish gets in confirm mode.
    var nextPublishSequenceNumber: UInt64? { confirmMode ? confirms.nextSequenceNumber : nil }

    /// Closes the channel: send channel.close now; queued work fails, the request in flight
    /// fails when close-ok arrives and `pending` succeeds then.
    mutating func close(replyCode: UInt16, replyText: String, _ pending: Pending) -> Action {
        switch state {
        case .opening, .open:
            state = .closing
            closeWaiter = pending
            let error = ChannelClosedByClient(replyCode: replyCode, replyText: replyText)
            clientCloseReason = error
            let close = AMQP.Channel.Close(replyCode: replyCode, replyText: replyText, classId: 0, methodId: 0)
            return .closing(send: close, failed: drainQueue(), error: error)
        case .closing:
            return .fail(pending, ChannelWrongStateError(reason: "channel \(channelNumber) is already closing"))
        case .closed:
            return .fail(pending, ChannelWrongStateError(reason: "channel \(channelNumber) is closed"))
        }
    }

    /// The next queued piece of work that may go out now, if any. Call after every event until it
    /// returns nil.
    mutating func nextOutbound() -> Outbound? {
        guard state == .open, inFlight == nil, queueHead < queue.count else { return nil }
        let next = queue[queueHead]
        queueHead += 1
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
        }
        switch next {
        case .rpc(let rpc):
            inFlight = rpc
            return .method(rpc.method)
        case .noReply(let method):
            return .method(method)
        case .publish(let request):
            return .publish(request)
        }
    }

    // MARK: Frames from the broker

    mutating func received(_ method: consuming AMQP.Method) -> Action {
        // A delivery, the frame most often received, is moved into the assembler as it is. (No
        // `where` clause on the case: it would make the match copy the payload first.)
        guard takesWholeDeliveries else { return receivedGeneral(method) }
        switch consume method {
        case .basicDeliver(var deliver):
            deliver.deliveryTag = numberedDelivery(deliver.deliveryTag)
            return startContent(.deliver(consume deliver))
        case let method:
            return receivedGeneral(method)
        }
    }

    /// Whether a delivery may come whole (`receivedDelivery`): the channel is open or opening
    /// and no message is half received. Otherwise its frames go through `received` one by one.
    var takesWholeDeliveries: Bool {
        (state == .open || state == .opening) && !content.isAssembling
    }

    /// Who takes a delivery: its consumer, or nobody (a consumer cancelled or never known).
    enum DeliveryRecipient: Equatable {
        case consumer
        /// How the consumer acked, when it was cancelled without waiting (its deliveries may
        /// still come); nil when nothing is known of it.
        case noConsumer(autoAck: Bool?)
    }

    /// A delivery whose three frames (method, content header, body) came together: numbers its
    /// tag and says who takes it, as `received` would answer to the last of the three frames
    /// (`.deliver` or `.unexpectedDelivery`). The message stays with the caller, which hands it
    /// on itself: it never travels through an `Action` (a copy of about 130 bytes in and out of
    /// the enum, and its destroy, on every delivery). Only when `takesWholeDeliveries`.
    mutating func receivedDelivery(_ deliver: inout AMQP.Basic.Deliver) -> DeliveryRecipient {
        deliver.deliveryTag = numberedDelivery(deliver.deliveryTag)
        return recipient(of: deliver.consumerTag)
    }

    /// The broker's delivery tag in the application's numbering (after the channels this one
    /// continues), remembered as the highest so far.
    private mutating func numberedDelivery(_ tag: UInt64) -> UInt64 {
        highestDeliveryTag = tag &+ tagOffsets.delivery
        return highestDeliveryTag
    }

    private mutating func receivedGeneral(_ method: AMQP.Method) -> Action {
        if state == .closed { return .none }
        if case .channelClose(let close) = method { return receivedClose(close) }
        if state == .closing {
            // Everything but close and close-ok is discarded once close was sent.
            if case .channelCloseOk = method { return receivedCloseOk() }
            return .none
        }
        if content.isAssembling {
            return .connectionError(
                code: AMQP.ReplyCode.unexpectedFrame.rawValue,
                reason: "\(method.name) arrived on channel \(channelNumber) in the middle of a message"
            )
        }
        switch method {
        case .channelOpenOk(let openOk) where state == .opening:
            state = .open
            guard let pending = opening else { return .none }
            opening = nil
            return .succeed(pending, .method(.channelOpenOk(openOk)))
        case .basicDeliver(var deliver):
            deliver.deliveryTag = numberedDelivery(deliver.deliveryTag)
            return startContent(.deliver(deliver))
        case .basicReturn(let returned):
            return startContent(.returned(returned))
        case .basicGetOk(var getOk):
            guard let inFlight, case .basicGet = inFlight.method else {
                return unexpected(method)
            }
            getOk.deliveryTag = numberedDelivery(getOk.deliveryTag)
            return startContent(.getOk(getOk))
        case .basicAck(let ack) where confirmMode:
            return confirmed(ack: true, deliveryTag: ack.deliveryTag, multiple: ack.multiple)
        case .basicNack(let nack) where confirmMode:
            return confirmed(ack: false, deliveryTag: nack.deliveryTag, multiple: nack.multiple)
        case .basicCancel(let cancel):
            // The broker sends nothing more to a consumer it cancelled.
            consumers[cancel.consumerTag] = nil
            return .consumerCancelledByBroker(consumerTag: cancel.consumerTag, sendCancelOk: !cancel.noWait)
        case .channelFlow(let flow):
            flowActive = flow.active
            return .flow(active: flow.active)
        default:
            return completeRPC(with: method)
        }
    }

    /// A publisher confirm, its tag moved into the application's numbering.
    private mutating func confirmed(ack: Bool, deliveryTag: UInt64, multiple: Bool) -> Action {
        let tag = deliveryTag == 0 && multiple ? 0 : deliveryTag &+ tagOffsets.publish
        let tags = confirms.confirm(deliveryTag: tag, multiple: multiple)
        return .confirm(ConfirmEvent(ack: ack, deliveryTag: tag, multiple: multiple, resolvedTags: tags))
    }

    mutating func received(_ header: consuming AMQPContentHeader) -> Action {
        if state == .closing || state == .closed { return .none }
        do throws(ContentAssembler.Violation) {
            guard let message = try content.header(consume header) else { return .none }
            return completed(message)
        } catch {
            return .connectionError(code: AMQP.ReplyCode.unexpectedFrame.rawValue, reason: error.reason)
        }
    }

    mutating func received(body: consuming ByteBuffer) -> Action {
        if state == .closing || state == .closed { return .none }
        do throws(ContentAssembler.Violation) {
            guard let message = try content.body(consume body) else { return .none }
            return completed(message)
        } catch {
            return .connectionError(code: AMQP.ReplyCode.unexpectedFrame.rawValue, reason: error.reason)
        }
    }

    /// The connection closed under the channel.
    mutating func connectionClosed(_ error: any Error) -> Action {
        guard state != .closed else { return .none }
        return finish(error: error, sendCloseOk: false)
    }

    /// Whether the channel waits for the broker: to open or close, to answer an RPC (sent or
    /// queued), or to confirm publishes. The connection keeps reading from its socket while any
    /// channel does, whatever a slow consumer asks.
    var awaitsBroker: Bool {
        switch state {
        case .opening, .closing: true
        case .closed: false
        case .open: inFlight != nil || queueHead < queue.count || confirms.unconfirmedCount > 0
        }
    }

    // MARK: Internals

    private var isIdle: Bool {
        state == .open && inFlight == nil && queueHead == queue.count
    }

    private func refusal(for name: String) -> ChannelWrongStateError? {
        switch state {
        case .opening, .open: nil
        case .closing: ChannelWrongStateError(reason: "\(name) on channel \(channelNumber), which is closing")
        case .closed: ChannelWrongStateError(reason: "\(name) on channel \(channelNumber), which is closed")
        }
    }

    private mutating func startContent(_ method: consuming ContentMessage.Method) -> Action {
        if let violation = content.start(method) {
            return .connectionError(code: AMQP.ReplyCode.unexpectedFrame.rawValue, reason: violation.reason)
        }
        return .none
    }

    private mutating func completed(_ message: consuming ContentMessage) -> Action {
        switch message.method {
        case .deliver(let deliver):
            switch recipient(of: deliver.consumerTag) {
            case .consumer: return .deliver(message)
            case .noConsumer(let autoAck): return .unexpectedDelivery(message, autoAck: autoAck)
            }
        case .returned:
            return .returned(message)
        case .getOk:
            guard let rpc = inFlight else { return .none }
            inFlight = nil
            return .succeed(rpc.pending, .message(message))
        }
    }

    private mutating func recipient(of consumerTag: String) -> DeliveryRecipient {
        if consumerTag == lastDeliveryTag { return .consumer }
        if consumers[consumerTag] != nil {
            lastDeliveryTag = consumerTag
            return .consumer
        }
        return .noConsumer(autoAck: retiredConsumers[consumerTag])
    }

    private mutating func completeRPC(with method: AMQP.Method) -> Action {
        guard let rpc = inFlight, rpc.expected.contains(Self.key(method.classID, method.methodID)) else {
            return unexpected(method)
        }
        inFlight = nil
        switch (rpc.method, method) {
        case (.basicConsume(let consume), .basicConsumeOk(let consumeOk)) where consume.consumerTag != consumeOk.consumerTag:
            // The broker chose the tag (the request's was empty): file the consumer under it.
            consumers[consume.consumerTag] = nil
            consumers[consumeOk.consumerTag] = consume.noAck
        case (_, .basicCancelOk(let cancelOk)):
            // No delivery follows cancel-ok for this tag: nothing to remember.
            consumers[cancelOk.consumerTag] = nil
        default:
            break
        }
        return .succeed(rpc.pending, .method(method))
    }

    /// How many no-wait cancelled consumers are remembered for late deliveries.
    static var retiredConsumersKept: Int { 256 }

    /// Forgets a consumer cancelled without waiting, but remembers its ack mode for the
    /// deliveries that were already on their way (bounded: when full, the memory starts over).
    private mutating func retire(_ consumerTag: String) {
        guard let noAck = consumers.removeValue(forKey: consumerTag) else { return }
        if retiredConsumers.count >= Self.retiredConsumersKept { retiredConsumers.removeAll(keepingCapacity: true) }
        retiredConsumers[consumerTag] = noAck
    }

    private func unexpected(_ method: AMQP.Method) -> Action {
        let waiting = inFlight.map { "while waiting for the reply to \($0.method.name)" } ?? "with no request waiting"
        return .connectionError(
            code: AMQP.ReplyCode.unexpectedFrame.rawValue,
            reason: "unexpected \(method.name) on channel \(channelNumber) \(waiting)"
        )
    }

    private mutating func receivedClose(_ close: AMQP.Channel.Close) -> Action {
        let error = ChannelClosedByBroker(
            replyCode: close.replyCode, replyText: close.replyText, classID: close.classId, methodID: close.methodId
        )
        return finish(error: error, sendCloseOk: true)
    }

    private mutating func receivedCloseOk() -> Action {
        let error = clientCloseReason ?? ChannelClosedByClient(replyCode: 200, replyText: "channel closed by the application")
        return finish(error: error, sendCloseOk: false)
    }

    private mutating func finish(error: any Error, sendCloseOk: Bool) -> Action {
        state = .closed
        var failed: [Pending] = []
        if let opening { failed.append(opening) }
        if let inFlight { failed.append(inFlight.pending) }
        failed += drainQueue()
        opening = nil
        inFlight = nil
        content.reset()
        let tags = Array(consumers.keys)
        consumers.removeAll()
        let waiter = closeWaiter
        closeWaiter = nil
        return .closed(
            error: error, failed: failed, consumers: tags, unconfirmed: confirms.drain(), sendCloseOk: sendCloseOk,
            closeWaiter: waiter
        )
    }

    private mutating func drainQueue() -> [Pending] {
        var failed: [Pending] = []
        for entry in queue[queueHead...] {
            if case .rpc(let rpc) = entry { failed.append(rpc.pending) }
        }
        queue.removeAll()
        queueHead = 0
        return failed
    }

    private static func key(_ classID: UInt16, _ methodID: UInt16) -> UInt32 {
        UInt32(classID) << 16 | UInt32(methodID)
    }
}
