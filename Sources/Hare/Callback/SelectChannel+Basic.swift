import AMQPProtocol
import NIOCore
import Synchronization

/// Messages: qos, consume, cancel, publish, get, ack, nack, reject, recover (Pika's `basic_*`).
extension SelectChannel {
    /// Limits unacknowledged deliveries (basic.qos): `prefetchCount` messages and
    /// `prefetchSize` bytes (0: no limit), per consumer, or per channel when `globalQos`.
    public func basicQos(
        prefetchSize: UInt32 = 0, prefetchCount: UInt16 = 0, globalQos: Bool = false,
        callback: ((Result<AMQP.Basic.QosOk, any Error>) -> Void)? = nil
    ) {
        let method = AMQP.Method.basicQos(AMQP.Basic.Qos(prefetchSize: prefetchSize, prefetchCount: prefetchCount, global: globalQos))
        call(method, as: AMQP.Basic.QosOk.self, callback: callback)
    }

    /// Starts a consumer (basic.consume); returns its consumer tag at once.
    ///
    /// - Parameters:
    ///   - queue: the queue to consume from.
    ///   - onMessageCallback: receives each message: the channel, basic.deliver (delivery tag,
    ///     redelivered, exchange, routing key), the properties and the body.
    ///   - autoAck: the broker considers messages acknowledged once sent.
    ///   - exclusive: no other consumer may use the queue.
    ///   - consumerTag: the tag, or nil (or "") for a generated one.
    ///   - arguments: extra arguments (`x-priority`, ...).
    ///   - callback: receives consume-ok.
    @discardableResult
    public func basicConsume(
        queue: String,
        onMessageCallback: @escaping (SelectChannel, AMQP.Basic.Deliver, AMQP.BasicProperties, ByteBuffer) -> Void,
        autoAck: Bool = false, exclusive: Bool = false, consumerTag: String? = nil, arguments: FieldTable = [:],
        callback: ((Result<AMQP.Basic.ConsumeOk, any Error>) -> Void)? = nil
    ) -> String {
        // An empty tag means "choose one", as in Pika: Hare chooses, so it is known at once.
        let tag = consumerTag.flatMap { $0.isEmpty ? nil : $0 } ?? Self.makeConsumerTag()
        let method = AMQP.Method.basicConsume(AMQP.Basic.Consume(
            queue: queue, consumerTag: tag, noLocal: false, noAck: autoAck, exclusive: exclusive, noWait: false,
            arguments: arguments
        ))
        eventLoop.runOnLoop { [self] in
            startConsumer(tag, method, onMessageCallback, callback)
        }
        return tag
    }

    /// Files the consumer's callback and sends basic.consume; while the connection recovers,
    /// both wait for it (recovery restarts only the consumers it already knows).
    private func startConsumer(
        _ tag: String, _ method: AMQP.Method, _ onMessage: @escaping OnMessage,
        _ callback: ((Result<AMQP.Basic.ConsumeOk, any Error>) -> Void)?
    ) {
        if awaitsRecovery {
            connection.whenRecovered("basic.consume") { [self] result in
                switch result {
                case .success: startConsumer(tag, method, onMessage, callback)
                case .failure(let error): callback?(.failure(error))
                }
            }
            return
        }
        if consumers[tag] != nil {
            callback?(.failure(DuplicateConsumerTag(consumerTag: tag)))
            return
        }
        consumers[tag] = onMessage
        call(method, as: AMQP.Basic.ConsumeOk.self) { [self] result in
            if case .failure = result, consumers[tag] != nil { consumers[tag] = nil }
            callback?(result)
        }
    }

    /// Stops a consumer (basic.cancel). Messages already sent to it still reach its callback
    /// until cancel-ok.
    ///
    /// While the connection recovers it takes effect at once: a channel waiting to be reopened
    /// has no consumer on the broker, so the consumer is forgotten (recovery will not restart
    /// it) and `callback` gets cancel-ok; a reopened channel cancels on the broker straight away.
    public func basicCancel(consumerTag: String, callback: ((Result<AMQP.Basic.CancelOk, any Error>) -> Void)? = nil) {
        let method = AMQP.Method.basicCancel(AMQP.Basic.Cancel(consumerTag: consumerTag, noWait: false))
        eventLoop.runOnLoop { [self] in
            if status.current == .recovering {
                connection.topology.record(method, reply: nil, channel: channelNumber)
                consumers[consumerTag] = nil
                callback?(.success(AMQP.Basic.CancelOk(consumerTag: consumerTag)))
                return
            }
            call(method, as: AMQP.Basic.CancelOk.self, waitForRecovery: false) { [self] result in
                if case .success = result { consumers[consumerTag] = nil }
                callback?(result)
            }
        }
    }

    /// Publishes a message (basic.publish with its header and body frames). Frames are written
    /// at once and flushed at the end of the loop turn; in confirm mode, while publishes handed
    /// over from other threads wait for the socket, after them (they were numbered before it).
    ///
    /// - Returns: the publish sequence number in confirm mode (what `PublisherConfirm` names),
    ///   nil otherwise, and nil when a publish in confirm mode off the loop cannot learn its
    ///   number without waiting for the loop (while the channel does not number publishes yet:
    ///   between a recovery and the channel's first publish after it, for example).
    /// - Throws: `ChannelWrongStateError` when the channel is closed or closing,
    ///   `ConnectionRecoveringError` while the connection recovers (publish from `whenWritable`
    ///   to wait for it), `AMQPProtocolError` when a value cannot be encoded (a routing key over
    ///   255 bytes, a body over the size limit). Nothing is sent then. Off the loop, a value
    ///   that cannot be encoded still throws; the message is handed to the loop (see
    ///   `LoopHandoff`: one loop task takes every message handed over meanwhile), later
    ///   errors are logged and nil is returned.
    @discardableResult
    public func basicPublish(
        exchange: String, routingKey: String, body: ByteBuffer, properties: AMQP.BasicProperties = AMQP.BasicProperties(),
        mandatory: Bool = false
    ) throws -> UInt64? {
        let request = PublishRequest(exchange: exchange, routingKey: routingKey, body: body, properties: properties, mandatory: mandatory)
        guard eventLoop.inEventLoop else {
            let offer = try handOver(request)
            if offer != .mustWait { return offer.number }
            let box = LoopConfined(value: self)
            eventLoop.execute {
                do { _ = try box.value.publishOnLoop(request) } catch {
                    box.value.logger.error("basic.publish failed", metadata: ["error": "\(error)"])
                }
            }
            return nil
        }
        return try publishOnLoop(request)
    }

    /// Publishes a message whose body is the UTF-8 of `body`.
    @discardableResult
    public func basicPublish(
        exchange: String, routingKey: String, body: String, properties: AMQP.BasicProperties = AMQP.BasicProperties(),
        mandatory: Bool = false
    ) throws -> UInt64? {
        try basicPublish(exchange: exchange, routingKey: routingKey, body: ByteBuffer(string: body), properties: properties, mandatory: mandatory)
    }

    /// Publishes a message whose body is `body`'s bytes.
    @discardableResult
    public func basicPublish(
        exchange: String, routingKey: String, body: some Sequence<UInt8>, properties: AMQP.BasicProperties = AMQP.BasicProperties(),
        mandatory: Bool = false
    ) throws -> UInt64? {
        try basicPublish(exchange: exchange, routingKey: routingKey, body: ByteBuffer(bytes: body), properties: properties, mandatory: mandatory)
    }

    /// Calls `work` on the loop once the connection accepts more publishes without growing its
    /// buffers: on the next loop turn when nothing waits and under 1 MiB waits unsent on the
    /// socket, otherwise once the socket has drained, after the work that waited before (first
    /// come, first served). When the connection ends first, `work` gets its error. `work` never
    /// runs inside this call, so it may call `whenWritable` again without growing the stack.
    ///
    /// `basicPublish` itself never waits, as in Pika: a publisher that may outrun the broker
    /// publishes from `work` to keep its memory bounded (the async and blocking faces do this for
    /// every publish). From another thread, the check happens on the loop.
    public func whenWritable(_ work: @escaping (Result<Void, any Error>) -> Void) {
        let loop = eventLoop
        if loop.inEventLoop, !awaitsRecovery, let handler = connection.handler, handler.acceptsPublishesNow {
            // The common case of a publisher that keeps going: one task, no boxes.
            loop.assumeIsolatedUnsafeUnchecked().execute { work(.success(())) }
            return
        }
        eventLoop.runOnLoop { [self] in
            whenAcceptingPublishes { result in
                let box = LoopConfined(value: { work(result) })
                loop.execute { box.value() }
            }
        }
    }

    /// `whenWritable` without the deferral: `work` may run inside this call. Loop only; for the
    /// async and blocking faces, whose `work` publishes once and never re-arms.
    func whenAcceptingPublishes(_ work: @escaping (Result<Void, any Error>) -> Void) {
        if awaitsRecovery {
            connection.whenRecovered("basic.publish") { [self] result in
                switch result {
                case .success: whenAcceptingPublishes(work)
                case .failure(let error): work(.failure(error))
                }
            }
            return
        }
        guard let handler = connection.handler else {
            work(.failure(ChannelWrongStateError(reason: "basic.publish: the connection is not open")))
            return
        }
        handler.whenWritable(work)
    }

    /// Hands `request` to the loop without waiting for it (`LoopHandoff`), when it may go
    /// that way: from outside the loop, on an open channel, with room under the handoff's limit,
    /// and in confirm mode once the handoff numbers publishes. Throws at once what the loop
    /// would refuse: a value that cannot be encoded. Returns `.mustWait` when the publish has to
    /// go the waiting way (a body over the smallest limit of the connection's parameter sets
    /// included: the loop checks it against the limit of the connection it opened); otherwise
    /// its sequence number in confirm mode.
    func handOver(_ request: PublishRequest) throws -> LoopHandoff.Offer {
        guard isOpen, !eventLoop.inEventLoop, request.body.readableBytes <= connection.smallestMaxBodySize else { return .mustWait }
        _ = try request.layout(frameMax: 0)
        return handoff.offer(request, scheduleTake: scheduleTake)
    }

    /// Enqueues the loop task that takes what was handed over (called by the handoff, under its
    /// lock, for the first item since the last take).
    private func scheduleTake() {
        eventLoop.execute { [self] in sendHandedOver() }
    }

    /// Sends everything handed over since the last turn, in order: acknowledgements at once,
    /// publishes as soon as the socket takes them (at once, unless the connection's buffer is
    /// full). Loop only.
    private func sendHandedOver() {
        send(handoff.takeAll())
    }

    /// Sends what was handed over, in order. Loop only.
    private func send(_ items: [LoopHandoff.Item]) {
        for item in items {
            switch item {
            case .acknowledge(let method):
                acknowledgeOnLoop(method)
            case .publish(let request, let number):
                if request.mandatory, let number, handoff.isCurrent(number) {
                    onHandedOverMandatory?(number.number, request)
                }
                sendWhenAccepting(request, number: number, handedOver: true)
            }
        }
    }

    /// Sends `request` once the socket takes it, after every publish that waits before it;
    /// failures are logged (no caller waits for them). A publish `handedOver` frees its room
    /// in the handoff then. Loop only.
    private func sendWhenAccepting(_ request: PublishRequest, number: LoopHandoff.Numbered?, handedOver: Bool) {
        whenAcceptingPublishes { [self] writable in
            defer { if handedOver { handoff.finished(size: request.body.readableBytes) } }
            do {
                try writable.get()
                try send(request, number: number)
            } catch {
                logger.error("basic.publish failed when its turn came (no caller waits for it)", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Sends a publish whose turn came. One numbered by the handoff goes out as it is (unless
    /// the channel closed since: the number was reported lost); one handed over before
    /// numbering started is numbered now, behind what was numbered before it.
    private func send(_ request: consuming PublishRequest, number: LoopHandoff.Numbered?) throws {
        guard let number else {
            let mandatory = request.mandatory ? copy request : nil
            if let sent = try publishOnLoop(request), let mandatory {
                onHandedOverMandatory?(sent, mandatory)
            }
            return
        }
        guard handoff.isCurrent(number) else {
            throw ChannelWrongStateError(reason: "basic.publish: the channel closed before sequence number \(number.number) went out")
        }
        expect(number, wentOutAs: try publishNow(request))
    }

    /// Logs a publish numbered by the handoff that the channel numbered otherwise: a fault of
    /// this library (its confirms would name other messages).
    private func expect(_ number: LoopHandoff.Numbered, wentOutAs sent: UInt64?) {
        guard sent != number.number else { return }
        logger.error("basic.publish went out with sequence number \(sent.map(String.init) ?? "none"), not \(number.number) as handed out")
    }

    /// Publishes from the loop: in confirm mode, once the handoff numbers publishes, takes the
    /// next number and goes out after what was handed over before it (at once when nothing
    /// waits); otherwise now.
    private func publishOnLoop(_ request: consuming PublishRequest) throws -> UInt64? {
        let handler = try publishingHandler()
        guard handoff.inConfirmMode else { return try handler.publish(request, channel: channelNumber) }
        return try publishInConfirmMode(request, handler: handler)
    }

    /// `publishOnLoop` in confirm mode (kept apart, so that the publish outside confirm mode
    /// stays as small as it was).
    @inline(never)
    private func publishInConfirmMode(_ request: consuming PublishRequest, handler: AMQPConnectionHandler) throws -> UInt64? {
        // Checked before it takes a number: a number given out is a publish the channel sends.
        let layout = try handler.checkPublish(request, channel: channelNumber)
        let start = handoff.isNumbering ? nil : handler.nextPublishSequenceNumber(channel: channelNumber)
        guard let (number, before) = handoff.numberOnLoop(startingAt: start) else {
            return try handler.publish(request, channel: channelNumber, layout: layout)
        }
        send(before)
        if handler.acceptsPublishesNow {
            expect(number, wentOutAs: try handler.publish(request, channel: channelNumber, layout: layout))
        } else {
            // Behind what waits for the socket, numbered before it.
            sendWhenAccepting(request, number: number, handedOver: false)
        }
        return number.number
    }

    /// Publishes now, with the channel's own numbering. Loop only.
    private func publishNow(_ request: consuming PublishRequest) throws -> UInt64? {
        try publishingHandler().publish(request, channel: channelNumber)
    }

    /// The connection's handler, when a publish may go out on it. Loop only.
    @inline(__always)
    private func publishingHandler() throws -> AMQPConnectionHandler {
        if awaitsRecovery {
            throw ConnectionRecoveringError(
                reason: "basic.publish: the connection is recovering (whenWritable waits for it)",
                underlying: connection.recoveryProgress?.lostWith
            )
        }
        guard let handler = connection.handler else {
            throw ChannelWrongStateError(reason: "basic.publish: the connection is not open")
        }
        return handler
    }

    /// Fetches one message (basic.get); `callback` receives it, or nil when the queue is empty.
    public func basicGet(
        queue: String, autoAck: Bool = false, callback: @escaping (Result<BasicGetMessage?, any Error>) -> Void
    ) {
        let method = AMQP.Method.basicGet(AMQP.Basic.Get(queue: queue, noAck: autoAck))
        eventLoop.runOnLoop { [self] in
            if awaitsRecovery {
                connection.whenRecovered("basic.get") { [self] result in
                    switch result {
                    case .success: basicGet(queue: queue, autoAck: autoAck, callback: callback)
                    case .failure(let error): callback(.failure(error))
                    }
                }
                return
            }
            guard let handler = connection.handler else {
                callback(.failure(ChannelWrongStateError(reason: "basic.get: the connection is not open")))
                return
            }
            handler.rpc(method, channel: channelNumber) { result in
                switch result {
                case .success(.message(let message)):
                    if case .getOk(let getOk) = message.method {
                        callback(.success(BasicGetMessage(method: getOk, properties: message.properties, body: message.body)))
                    } else {
                        callback(.failure(ChannelWrongStateError(reason: "basic.get was answered with a message that is not get-ok")))
                    }
                case .success(.method):
                    callback(.success(nil))
                case .failure(let error):
                    callback(.failure(error))
                }
            }
        }
    }

    /// Acknowledges a delivery (basic.ack); with `multiple`, every one up to `deliveryTag`.
    public func basicAck(deliveryTag: UInt64 = 0, multiple: Bool = false) {
        acknowledge(.basicAck(AMQP.Basic.Ack(deliveryTag: deliveryTag, multiple: multiple)))
    }

    /// Refuses deliveries (basic.nack, a RabbitMQ extension); `requeue` puts them back.
    public func basicNack(deliveryTag: UInt64 = 0, multiple: Bool = false, requeue: Bool = true) {
        acknowledge(.basicNack(AMQP.Basic.Nack(deliveryTag: deliveryTag, multiple: multiple, requeue: requeue)))
    }

    /// Refuses one delivery (basic.reject); `requeue` puts it back.
    public func basicReject(deliveryTag: UInt64, requeue: Bool = true) {
        acknowledge(.basicReject(AMQP.Basic.Reject(deliveryTag: deliveryTag, requeue: requeue)))
    }

    /// Asks the broker to redeliver unacknowledged messages (basic.recover).
    public func basicRecover(requeue: Bool = false, callback: ((Result<AMQP.Basic.RecoverOk, any Error>) -> Void)? = nil) {
        call(.basicRecover(AMQP.Basic.Recover(requeue: requeue)), as: AMQP.Basic.RecoverOk.self, callback: callback)
    }

    /// Sends an ack, nack or reject: at once on the loop, else handed over (`LoopHandoff`).
    func acknowledge(_ method: AMQP.Method) {
        if eventLoop.inEventLoop {
            acknowledgeOnLoop(method)
        } else {
            _ = handoff.offer(acknowledgement: method, scheduleTake: scheduleTake)
        }
    }

    /// Writes an ack, nack or reject now; failures are logged (no one waits for them). Loop only.
    private func acknowledgeOnLoop(_ method: AMQP.Method) {
        guard !dropsAcknowledgement(method) else { return }
        do {
            guard let handler = connection.handler else {
                throw ChannelWrongStateError(reason: "\(method.name): the connection is not open")
            }
            try handler.acknowledge(method, channel: channelNumber)
        } catch {
            logger.error("\(method.name) failed", metadata: ["error": "\(error)"])
        }
    }

    /// While the channel waits to be reopened, an ack, nack or reject names a delivery of the
    /// lost connection, which the broker requeued already: it is dropped, not sent. (Once
    /// reopened, the channel machine tells old tags from new ones.) Loop only.
    func dropsAcknowledgement(_ method: AMQP.Method) -> Bool {
        guard status.current == .recovering else { return false }
        logger.debug("\(method.name) for a delivery of the lost connection is dropped")
        return true
    }

    static func makeConsumerTag() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return "ctag-hare-" + String(high, radix: 16) + String(low, radix: 16)
    }
}
