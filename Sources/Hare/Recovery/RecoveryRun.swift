import AMQPProtocol
import Logging
import NIOCore
import Synchronization

/// One pass of recovery over a new connection: reopens the channels with their numbers and
/// modes, redeclares the topology on a channel of its own (exchanges, queues, bindings, in the
/// order they were made), then restarts the consumers with their tags, and reports success.
/// If the connection is lost meanwhile, the run stops and the next attempt starts over. Loop only.
final class RecoveryRun {
    let connection: SelectConnection
    let handler: AMQPConnectionHandler
    let progress: RecoveryProgress
    /// The channel the topology is redeclared on, and its delegate.
    private var scratch: (number: UInt16, delegate: ScratchChannel)?

    init(connection: SelectConnection, handler: AMQPConnectionHandler, progress: RecoveryProgress) {
        self.connection = connection
        self.handler = handler
        self.progress = progress
    }

    private var logger: Logger { connection.logger }

    /// Whether the run still speaks for the connection (not lost again, not closed).
    private var isCurrent: Bool {
        connection.handler === handler && handler.finalError == nil && connection.recoveryProgress === progress
            && connection.status.current == .recovering
    }

    func start() {
        let channels = connection.channels.sorted { $0.key < $1.key }.map(\.value)
        each(channels, reopen) { [self] in
            guard connection.recovery.recoverTopology else {
                dropUnrecordedConsumers()
                connection.recoverySucceeded(progress)
                return
            }
            redeclareTopology { [self] in
                let reopened = connection.channels.sorted { $0.key < $1.key }.map(\.value).filter(\.isOpen)
                each(reopened, restartConsumers) { [self] in
                    closeScratch()
                    connection.recoverySucceeded(progress)
                }
            }
        }
    }

    // MARK: Channels

    private func reopen(_ channel: SelectChannel, next: @escaping () -> Void) {
        guard channel.status.current == .recovering else { return next() }
        let number = channel.channelNumber
        handler.openChannel(number: number, delegate: channel, continuing: channel.continuation) { [self] result in
            guard isCurrent else { return }
            switch result {
            case .success:
                guard channel.reopened() else {
                    // Closed by the application while it reopened: close it on the broker too.
                    handler.closeChannel(number, replyCode: 200, replyText: "Normal shutdown") { _ in }
                    return next()
                }
                reapplySettings(of: channel, next: next)
            case .failure(let error):
                logger.error("recovery could not reopen channel \(number)", metadata: ["error": "\(error)"])
                connection.channels[number] = nil
                connection.topology.channelClosed(number)
                channel.recoveryEnded(error)
                next()
            }
        }
    }

    private func reapplySettings(of channel: SelectChannel, next: @escaping () -> Void) {
        let settings = connection.topology.settings(of: channel.channelNumber)
        var methods = settings.qos.map { AMQP.Method.basicQos($0) }
        if settings.confirmMode { methods.append(.confirmSelect(AMQP.Confirm.Select(nowait: false))) }
        if settings.transactional { methods.append(.txSelect(AMQP.Tx.Select())) }
        each(methods, { [self] method, done in
            rpc(method, on: channel.channelNumber) { [self] result in
                if case .failure(let error) = result {
                    logger.error("recovery could not re-apply \(method.name) on channel \(channel.channelNumber)", metadata: ["error": "\(error)"])
                }
                done()
            }
        }, then: next)
    }

    // MARK: Topology

    /// Exchanges, then queues, then bindings (read only once the queues are back: a renamed
    /// server-named queue renames its bindings), then a check of the consumers' queues.
    private func redeclareTopology(then: @escaping () -> Void) {
        each(connection.topology.exchanges.map(RecordedEntity.exchange).filter(included), redeclare) { [self] in
            each(connection.topology.queues.map(RecordedEntity.queue).filter(included), redeclare) { [self] in
                each(connection.topology.bindings.map(RecordedEntity.binding).filter(included), redeclare) { [self] in
                    var seen = Set<String>()
                    let queues = connection.topology.consumers.map(\.queue).filter { seen.insert($0).inserted }
                    each(queues, checkConsumerQueue, then: then)
                }
            }
        }
    }

    private func redeclare(_ entity: RecordedEntity, next: @escaping () -> Void) {
        let method: AMQP.Method
        switch entity {
        case .exchange(let exchange):
            method = .exchangeDeclare(AMQP.Exchange.Declare(
                exchange: exchange.name, type: exchange.type, passive: false, durable: exchange.durable,
                autoDelete: exchange.autoDelete, internal: exchange.internal, noWait: false, arguments: exchange.arguments
            ))
        case .queue(let queue):
            method = .queueDeclare(AMQP.Queue.Declare(
                queue: queue.serverNamed ? "" : queue.name, passive: false, durable: queue.durable, exclusive: queue.exclusive,
                autoDelete: queue.autoDelete, noWait: false, arguments: queue.arguments
            ))
        case .binding(let binding):
            switch binding.destination {
            case .queue(let queue):
                method = .queueBind(AMQP.Queue.Bind(
                    queue: queue, exchange: binding.source, routingKey: binding.routingKey, noWait: false, arguments: binding.arguments
                ))
            case .exchange(let exchange):
                method = .exchangeBind(AMQP.Exchange.Bind(
                    destination: exchange, source: binding.source, routingKey: binding.routingKey, noWait: false,
                    arguments: binding.arguments
                ))
            }
        case .consumer:
            return next()
        }
        onScratch { [self] opened in
            guard case .success(let number) = opened else {
                if case .failure(let error) = opened { failed(entity, error) }
                return next()
            }
            rpc(method, on: number) { [self] result in
                switch result {
                case .success(.queueDeclareOk(let ok)?):
                    if case .queue(let queue) = entity, queue.name != ok.queue {
                        connection.topology.renameQueue(queue.name, to: ok.queue)
                        logger.info("recovery renamed a server-named queue", metadata: ["old": "\(queue.name)", "new": "\(ok.queue)"])
                        connection.emit(.queueNameChanged(old: queue.name, new: ok.queue))
                    }
                case .success:
                    break
                case .failure(let error):
                    failed(entity, error)
                }
                next()
            }
        }
    }

    /// A consumer's queue that is gone (deleted while the connection was down, or an exclusive
    /// queue left out by the filter) would close its channel with 404: its consumers are
    /// dropped and reported cancelled instead.
    private func checkConsumerQueue(_ queue: String, next: @escaping () -> Void) {
        let passive = AMQP.Method.queueDeclare(AMQP.Queue.Declare(
            queue: queue, passive: true, durable: false, exclusive: false, autoDelete: false, noWait: false, arguments: [:]
        ))
        onScratch { [self] opened in
            // Without a channel to check on, the consumers are restarted unchecked.
            guard case .success(let number) = opened else { return next() }
            rpc(passive, on: number) { [self] result in
                if case .failure(let error) = result {
                    for consumer in connection.topology.consumers where consumer.queue == queue {
                        dropConsumer(consumer, error)
                    }
                }
                next()
            }
        }
    }

    // MARK: Consumers

    /// Restarts the channel's consumers in order, each under the per-consumer qos it started
    /// with (prefetch applies to consumers started after it), then puts the channel's last qos
    /// back.
    private func restartConsumers(_ channel: SelectChannel, next: @escaping () -> Void) {
        let number = channel.channelNumber
        let recorded = connection.topology.consumers(on: number)
        let kept = recorded.filter { included(.consumer($0)) }
        for consumer in recorded where !kept.contains(consumer) {
            dropConsumer(consumer, ConsumerCancelled(consumerTag: consumer.consumerTag))
        }
        channel.dropConsumers(except: Set(kept.map(\.consumerTag)))
        let last = connection.topology.settings(of: number).qos.last { !$0.global }
        var applied = last
        var steps: [(method: AMQP.Method, consumer: RecordedConsumer?)] = []
        for consumer in kept {
            let wanted = connection.topology.qos(of: consumer)
            if let wanted, wanted != applied {
                steps.append((.basicQos(wanted), nil))
                applied = wanted
            }
            steps.append((.basicConsume(AMQP.Basic.Consume(
                queue: consumer.queue, consumerTag: consumer.consumerTag, noLocal: false, noAck: consumer.autoAck,
                exclusive: consumer.exclusive, noWait: false, arguments: consumer.arguments
            )), consumer))
        }
        if let last, applied != last { steps.append((.basicQos(last), nil)) }
        each(steps, { [self] step, done in
            rpc(step.method, on: number) { [self] result in
                if case .failure(let error) = result {
                    if let consumer = step.consumer {
                        failed(.consumer(consumer), error)
                        connection.topology.forgetConsumer(consumer.consumerTag, on: number)
                        channel.consumerLost(consumer.consumerTag)
                    } else {
                        logger.error("recovery could not re-apply basic.qos on channel \(number)", metadata: ["error": "\(error)"])
                    }
                }
                done()
            }
        }, then: next)
    }

    private func dropUnrecordedConsumers() {
        for channel in connection.channels.values where channel.isOpen {
            let number = channel.channelNumber
            for consumer in connection.topology.consumers(on: number) {
                connection.topology.forgetConsumer(consumer.consumerTag, on: number)
            }
            channel.dropConsumers(except: [])
        }
    }

    private func dropConsumer(_ consumer: RecordedConsumer, _ error: any Error) {
        failed(.consumer(consumer), error)
        connection.topology.forgetConsumer(consumer.consumerTag, on: consumer.channelNumber)
        connection.channels[consumer.channelNumber]?.consumerLost(consumer.consumerTag)
    }

    // MARK: Plumbing

    private func included(_ entity: RecordedEntity) -> Bool {
        connection.recovery.topologyFilter?(entity) ?? true
    }

    private func failed(_ entity: RecordedEntity, _ error: any Error) {
        logger.error("recovery could not redeclare an entity", metadata: ["entity": "\(entity)", "error": "\(error)"])
        connection.emit(.entityFailed(entity, error))
    }

    /// Runs `body` with the scratch channel's number, opening it first when needed (a refused
    /// declaration closes it), or with why it cannot be opened (no channel number is free).
    private func onScratch(_ body: @escaping (Result<UInt16, any Error>) -> Void) {
        // The handler forgets a closed channel before it fails the request, and tells the
        // delegate after.
        if let scratch, !scratch.delegate.closed, handler.channels[scratch.number] != nil { return body(.success(scratch.number)) }
        let delegate = ScratchChannel()
        handler.openChannel(number: nil, delegate: delegate) { [self] result in
            guard isCurrent else { return }
            switch result {
            case .success(let number):
                scratch = (number, delegate)
                body(.success(number))
            case .failure(let error):
                logger.error("recovery could not open a channel for the topology", metadata: ["error": "\(error)"])
                body(.failure(error))
            }
        }
    }

    private func closeScratch() {
        guard let scratch, !scratch.delegate.closed, handler.channels[scratch.number] != nil else { return }
        handler.closeChannel(scratch.number, replyCode: 200, replyText: "recovery done") { _ in }
        self.scratch = nil
    }

    /// A synchronous method on channel `number`; the reply's method (nil for a message).
    private func rpc(_ method: AMQP.Method, on number: UInt16, _ done: @escaping (Result<AMQP.Method?, any Error>) -> Void) {
        handler.rpc(method, channel: number) { [self] result in
            guard isCurrent else { return }
            switch result {
            case .success(.method(let reply)): done(.success(reply))
            case .success(.message): done(.success(nil))
            case .failure(let error): done(.failure(error))
            }
        }
    }

    /// Calls `body` for each item in turn, each once the one before has called its `next`, then
    /// `then`; stops when the run is no longer current. Items finished at once are looped over,
    /// not recursed into.
    private func each<Item>(_ items: [Item], _ body: @escaping (Item, @escaping () -> Void) -> Void, then: @escaping () -> Void) {
        each(items[...], body, then: then)
    }

    private func each<Item>(_ items: ArraySlice<Item>, _ body: @escaping (Item, @escaping () -> Void) -> Void, then: @escaping () -> Void) {
        var rest = items
        while let item = rest.first {
            guard isCurrent else { return }
            rest = rest.dropFirst()
            var inline = true
            var finishedInline = false
            let remaining = rest
            body(item) { [self] in
                if inline { finishedInline = true } else { each(remaining, body, then: then) }
            }
            inline = false
            guard finishedInline else { return }
        }
        guard isCurrent else { return }
        then()
    }
}

/// The delegate of recovery's own channel: it consumes nothing; it only notes its close.
final class ScratchChannel: ChannelDelegate {
    private(set) var closed = false

    func channel(_ number: UInt16, didDeliver message: ContentMessage) {}
    func channel(_ number: UInt16, didReturn message: ContentMessage) {}
    func channel(_ number: UInt16, didConfirm confirm: ConfirmEvent) {}
    func channel(_ number: UInt16, consumerCancelledByBroker consumerTag: String) {}
    func channel(_ number: UInt16, flowActive: Bool) {}
    func channel(
        _ number: UInt16, didCloseWith error: any Error, consumers: [String], unconfirmed: [UInt64], continuation: TagOffsets
    ) {
        closed = true
    }
}
