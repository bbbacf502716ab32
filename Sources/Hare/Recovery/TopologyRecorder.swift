import AMQPProtocol

/// What a connection declared, so recovery can declare it again: exchanges, queues, bindings
/// and consumers in the order they were made, and each channel's qos, confirm and transaction
/// modes. Fed with each method once the broker accepted it (a no-wait method once it is sent);
/// entities the application deleted are forgotten (and with them what depended on them). Pure
/// state: no I/O.
struct TopologyRecorder {
    /// A channel's modes, re-applied when it is reopened.
    struct ChannelSettings: Equatable {
        /// The last basic.qos per scope (global and per consumer), in the order applied.
        var qos: [AMQP.Basic.Qos] = []
        var confirmMode = false
        var transactional = false
    }

    private(set) var exchanges: [RecordedExchange] = []
    private(set) var queues: [RecordedQueue] = []
    private(set) var bindings: [RecordedBinding] = []
    private(set) var consumers: [RecordedConsumer] = []
    private var settings: [UInt16: ChannelSettings] = [:]
    /// Each channel's last declared queue: an empty queue name in a bind, unbind, consume or
    /// delete means it (AMQP 0-9-1), and recovery replays them on other channels.
    private var lastQueue: [UInt16: String] = [:]
    /// The per-consumer basic.qos in effect when each consumer started (prefetch applies to
    /// consumers started after it), by channel and tag.
    private var consumerQos: [String: AMQP.Basic.Qos] = [:]

    /// The modes to re-apply on channel `number`.
    func settings(of number: UInt16) -> ChannelSettings {
        settings[number] ?? ChannelSettings()
    }

    /// The per-consumer qos `consumer` started under (nil: none was set).
    func qos(of consumer: RecordedConsumer) -> AMQP.Basic.Qos? {
        consumerQos[Self.key(consumer.channelNumber, consumer.consumerTag)]
    }

    /// The consumers of channel `number`, in the order they were started.
    func consumers(on number: UInt16) -> [RecordedConsumer] {
        consumers.filter { $0.channelNumber == number }
    }

    /// Records `method`, sent on channel `number`, which the broker accepted with `reply` (nil
    /// for a no-wait method).
    mutating func record(_ method: AMQP.Method, reply: AMQP.Method?, channel number: UInt16) {
        switch method {
        case .exchangeDeclare(let declare) where !declare.passive && Self.isRecordable(exchange: declare.exchange):
            let exchange = RecordedExchange(
                name: declare.exchange, type: declare.type, durable: declare.durable, autoDelete: declare.autoDelete,
                internal: declare.internal, arguments: declare.arguments
            )
            exchanges.removeAll { $0.name == exchange.name }
            exchanges.append(exchange)
        case .exchangeDelete(let delete):
            forgetExchange(delete.exchange)
        case .queueDeclare(let declare) where !declare.passive:
            var name = declare.queue
            if case .queueDeclareOk(let ok)? = reply { name = ok.queue }
            guard !name.isEmpty else { return }  // a no-wait server-named queue: its name is unknown
            let queue = RecordedQueue(
                name: name, serverNamed: declare.queue.isEmpty, durable: declare.durable, exclusive: declare.exclusive,
                autoDelete: declare.autoDelete, arguments: declare.arguments
            )
            queues.removeAll { $0.name == name }
            queues.append(queue)
            lastQueue[number] = name
        case .queueDelete(let delete):
            forgetQueue(queueName(delete.queue, on: number))
        case .queueBind(let bind):
            let queue = queueName(bind.queue, on: number)
            addBinding(RecordedBinding(
                source: bind.exchange, destination: .queue(queue), routingKey: bind.routingKey.isEmpty && bind.queue.isEmpty ? queue : bind.routingKey,
                arguments: bind.arguments
            ))
        case .queueUnbind(let unbind):
            let queue = queueName(unbind.queue, on: number)
            removeBinding(RecordedBinding(
                source: unbind.exchange, destination: .queue(queue),
                routingKey: unbind.routingKey.isEmpty && unbind.queue.isEmpty ? queue : unbind.routingKey, arguments: unbind.arguments
            ))
        case .exchangeBind(let bind):
            addBinding(RecordedBinding(
                source: bind.source, destination: .exchange(bind.destination), routingKey: bind.routingKey, arguments: bind.arguments
            ))
        case .exchangeUnbind(let unbind):
            removeBinding(RecordedBinding(
                source: unbind.source, destination: .exchange(unbind.destination), routingKey: unbind.routingKey,
                arguments: unbind.arguments
            ))
        case .basicConsume(let consume):
            var tag = consume.consumerTag
            if case .basicConsumeOk(let ok)? = reply { tag = ok.consumerTag }
            guard !tag.isEmpty else { return }
            consumers.removeAll { $0.channelNumber == number && $0.consumerTag == tag }
            consumerQos[Self.key(number, tag)] = settings[number]?.qos.last { !$0.global }
            consumers.append(RecordedConsumer(
                consumerTag: tag, queue: queueName(consume.queue, on: number), channelNumber: number, autoAck: consume.noAck,
                exclusive: consume.exclusive, arguments: consume.arguments
            ))
        case .basicCancel(let cancel):
            forgetConsumer(cancel.consumerTag, on: number, cancelledByApplication: true)
        case .basicQos(let qos):
            var channel = settings[number] ?? ChannelSettings()
            channel.qos.removeAll { $0.global == qos.global }
            channel.qos.append(qos)
            settings[number] = channel
        case .confirmSelect:
            settings[number, default: ChannelSettings()].confirmMode = true
        case .txSelect:
            settings[number, default: ChannelSettings()].transactional = true
        default:
            break
        }
    }

    /// The broker cancelled a consumer, or recovery could not restart it.
    mutating func forgetConsumer(_ tag: String, on number: UInt16) {
        forgetConsumer(tag, on: number, cancelledByApplication: false)
    }

    /// Channel `number` closed: its consumers and modes go with it (and an auto-delete queue
    /// whose last consumer was among them, which the broker deletes then).
    mutating func channelClosed(_ number: UInt16) {
        settings[number] = nil
        lastQueue[number] = nil
        for consumer in consumers where consumer.channelNumber == number {
            forgetConsumer(consumer.consumerTag, on: number, cancelledByApplication: true)
        }
    }

    /// A server-named queue came back as `new`: its bindings and consumers follow it.
    mutating func renameQueue(_ old: String, to new: String) {
        guard old != new else { return }
        queues.removeAll { $0.name == new }
        for index in queues.indices where queues[index].name == old { queues[index].name = new }
        for index in bindings.indices where bindings[index].destination == .queue(old) {
            bindings[index].destination = .queue(new)
        }
        for index in consumers.indices where consumers[index].queue == old { consumers[index].queue = new }
    }

    /// Forgets a queue, its bindings and its consumers (deleted, or gone at recovery).
    mutating func forgetQueue(_ name: String) {
        queues.removeAll { $0.name == name }
        bindings.removeAll { $0.destination == .queue(name) }
        for consumer in consumers where consumer.queue == name {
            consumerQos[Self.key(consumer.channelNumber, consumer.consumerTag)] = nil
        }
        consumers.removeAll { $0.queue == name }
    }

    /// `name`, or for an empty name the channel's last declared queue.
    private func queueName(_ name: String, on number: UInt16) -> String {
        name.isEmpty ? lastQueue[number] ?? name : name
    }

    private static func key(_ number: UInt16, _ tag: String) -> String {
        "\(number) \(tag)"
    }

    // MARK: Internals

    /// The default exchange and the `amq.` ones are the broker's own: never redeclared.
    private static func isRecordable(exchange name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix("amq.")
    }

    private mutating func forgetExchange(_ name: String) {
        exchanges.removeAll { $0.name == name }
        bindings.removeAll { $0.source == name || $0.destination == .exchange(name) }
    }

    private mutating func addBinding(_ binding: RecordedBinding) {
        guard !bindings.contains(binding) else { return }
        bindings.append(binding)
    }

    private mutating func removeBinding(_ binding: RecordedBinding) {
        bindings.removeAll { $0 == binding }
        // An auto-delete exchange goes once its last binding as a source goes.
        if let exchange = exchanges.first(where: { $0.name == binding.source }), exchange.autoDelete,
           !bindings.contains(where: { $0.source == binding.source }) {
            forgetExchange(binding.source)
        }
    }

    private mutating func forgetConsumer(_ tag: String, on number: UInt16, cancelledByApplication: Bool) {
        guard let index = consumers.firstIndex(where: { $0.channelNumber == number && $0.consumerTag == tag }) else { return }
        let consumer = consumers.remove(at: index)
        consumerQos[Self.key(number, tag)] = nil
        // An auto-delete queue goes once its last consumer is cancelled.
        if cancelledByApplication, let queue = queues.first(where: { $0.name == consumer.queue }), queue.autoDelete,
           !consumers.contains(where: { $0.queue == consumer.queue }) {
            forgetQueue(consumer.queue)
        }
    }
}
