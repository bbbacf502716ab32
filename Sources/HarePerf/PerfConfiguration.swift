import Hare

/// What a `hare perf` run does, modelled on RabbitMQ's PerfTest.
public struct PerfConfiguration: Sendable, Codable, Equatable {
    /// The broker (an AMQP URL, as `URLParameters` takes it).
    public var url = "amqp://guest:guest@127.0.0.1:5672/"
    /// Producer connections (PerfTest's `-x`); each carries `producerChannels` producers.
    public var producers = 1
    /// Consumer connections (PerfTest's `-y`); each carries `consumerChannels` consumers. With
    /// `sharedConnections` (or `sequential`) they are the producers' connections instead of
    /// connections of their own.
    public var consumers = 1
    /// Channels per producer connection (PerfTest's `-X`): each channel is an independent
    /// producer with an equal share of `rate` and `messageCount` and its own confirm window.
    public var producerChannels = 1
    /// Channels per consumer connection (PerfTest's `-Y`): each channel has its own consumer on
    /// the queue, with its own prefetch.
    public var consumerChannels = 1
    /// Consumers open their channels on the producers' connections: connection `i` of the run
    /// carries `producerChannels` publishing channels and, for `i < consumers`,
    /// `consumerChannels` consuming channels (needs `1...producers` consumers). So `producers`
    /// 50, `producerChannels` 10, `consumers` 50, `consumerChannels` 10 is 50 connections, each
    /// with 10 channels publishing and 10 consuming. Without it, every producer and consumer
    /// connection is a connection of its own. See `connectionPlan`.
    public var sharedConnections = false
    /// Body size in bytes; from 8 bytes on, the body carries the send time and latency is
    /// measured.
    public var messageSize = 16
    /// Publisher confirms in flight per producer channel; 0 publishes without confirms.
    public var confirmWindow = 0
    /// basic.qos prefetch count per consumer channel; 0 sets none.
    public var prefetch = 0
    /// Acknowledge with `multiple` every this many deliveries (0 or 1: each delivery).
    public var multiAckEvery = 0
    /// Consume with autoAck (no acknowledgements).
    public var autoAck = false
    /// Total publishing rate in messages per second, shared equally by the producer channels
    /// (each keeps to its share on a schedule of its own, offset from the others' so that the
    /// total falls due evenly spread, and sends on the `pacingInterval` grid); 0: as fast as the
    /// broker takes them.
    public var rate: Double = 0
    /// How often, in microseconds, a rate-limited producer wakes to send what is due (on a grid
    /// from the run's start, the same for every producer); 0: for every message. A timed run
    /// ends up to one interval before the messages due in its last interval leave, so it should
    /// be small against the run time.
    public var pacingInterval = 1000
    /// Run time in seconds; nil: until `messageCount` or Ctrl-C.
    public var duration: Double?
    /// Messages to publish in all (or, with no producers, to consume); nil: no limit.
    public var messageCount: Int?
    /// The queue; nil declares a server-named, auto-delete queue for the run.
    public var queue: String?
    /// Declare the queue and a named exchange durable (a quorum or stream queue is durable
    /// without it; its exchange is not, as PerfTest declares it).
    public var durable = false
    /// Declare the queue as a quorum queue (`x-queue-type: quorum`; durable).
    public var quorum = false
    /// More queue.declare arguments (PerfTest's `--queue-args`): `x-max-length`, `x-overflow`,
    /// `x-message-ttl`, ...
    public var queueArguments: [PerfArgument] = []
    /// The basic.consume arguments of every consumer (PerfTest's `--consumer-args`):
    /// `x-priority`, ...
    public var consumerArguments: [PerfArgument] = []
    /// Publish persistent messages (delivery mode 2).
    public var persistent = false
    /// The exchange to publish to ("" is the default exchange); the queue is bound to it with
    /// `routingKey` unless it is the default exchange.
    public var exchange = ""
    /// The routing key; nil: the queue's name.
    public var routingKey: String?
    /// The type of `exchange` (direct, fanout, topic, headers, or a plugin's type), which the
    /// run declares (durable with `durable`), binds the queue to with the routing key (no
    /// binding arguments: a headers exchange routes every message to it) and leaves in place,
    /// as PerfTest does; nil: direct. A run without producers declares and binds it too. The
    /// broker's own `amq.*` exchanges are not declared, only checked.
    public var exchangeType: String?
    /// The queue (which must be named) and the exchange exist already (PerfTest's
    /// `--predeclared`): the run checks that they are there (passive declares) and uses them as
    /// they are, with their own arguments. It still binds the queue to a named exchange, as
    /// PerfTest does, unless `skipBindingQueues`.
    public var predeclared = false
    /// Do not bind the queue to the named exchange (PerfTest's `--skip-binding-queues`): the
    /// messages go where the exchange's existing bindings send them.
    public var skipBindingQueues = false
    /// Sequential round trips: the producer publishes its next message only once the consumer,
    /// on the producer's connection, received the previous one (an RPC client's latency). Every
    /// consumer channel opens on the producer's connection.
    public var sequential = false

    /// The most channels per connection a setting may ask for (RabbitMQ's default channel_max).
    public static let maximumChannelsPerConnection = 2047
    /// The most producer channels, or consumer channels, a run may have in all.
    public static let maximumChannels = 100_000

    /// The defaults: one producer and one consumer, each on a connection of its own, 16-byte
    /// messages, no confirms.
    public init() {}

    /// Checks the combination; the error says which setting is wrong and why.
    public func validate() throws(PerfConfigurationError) {
        func refuse(_ setting: String, _ reason: String) -> PerfConfigurationError {
            PerfConfigurationError(setting: setting, reason: reason)
        }
        guard (0...1000).contains(producers) else { throw refuse("producers", "must be between 0 and 1000") }
        guard (0...1000).contains(consumers) else { throw refuse("consumers", "must be between 0 and 1000") }
        guard producers + consumers > 0 else { throw refuse("producers", "a run needs a producer or a consumer") }
        let channelRange = 1...Self.maximumChannelsPerConnection
        guard channelRange.contains(producerChannels) else {
            throw refuse("producer-channels", "must be between 1 and \(Self.maximumChannelsPerConnection)")
        }
        guard channelRange.contains(consumerChannels) else {
            throw refuse("consumer-channels", "must be between 1 and \(Self.maximumChannelsPerConnection)")
        }
        guard producers * producerChannels <= Self.maximumChannels else {
            throw refuse("producer-channels", "at most \(Self.maximumChannels) producer channels in all")
        }
        guard consumers * consumerChannels <= Self.maximumChannels else {
            throw refuse("consumer-channels", "at most \(Self.maximumChannels) consumer channels in all")
        }
        if sharedConnections, producers == 0 || !(1...producers).contains(consumers) {
            let needs = producers == 0 ? "producers" : "1 to \(producers) consumers (-y)"
            throw refuse("shared-connections", "consumer connection i opens its channels on producer connection i: needs \(needs)")
        }
        try validateChannelsPerConnection()
        guard (0...(64 << 20)).contains(messageSize) else { throw refuse("size", "must be between 0 and 64 MiB") }
        guard (0...1_000_000).contains(confirmWindow) else { throw refuse("confirm", "must be between 0 and 1000000") }
        guard (0...Int(UInt16.max)).contains(prefetch) else { throw refuse("prefetch", "must be between 0 and 65535") }
        guard multiAckEvery >= 0 else { throw refuse("multi-ack-every", "must not be negative") }
        guard rate == 0 || (rate >= 0.001 && rate.isFinite) else {
            throw refuse("rate", "must be 0 (no limit) or a finite number from 0.001 on")
        }
        guard (0...100_000).contains(pacingInterval) else {
            throw refuse("pacing-interval", "must be between 0 (every message) and 100000 microseconds")
        }
        if !autoAck, prefetch > 0, multiAckEvery > prefetch {
            throw refuse("multi-ack-every", "above the prefetch (\(prefetch)) the broker stops delivering before the first ack")
        }
        if exchange.isEmpty, let routingKey, routingKey != queue {
            throw refuse("routing-key", "with the default exchange the routing key is the queue's name")
        }
        try validateTopology()
        if let duration, !(duration > 0 && duration.isFinite) { throw refuse("time", "must be a positive number of seconds") }
        if let messageCount, messageCount <= 0 { throw refuse("count", "must be positive") }
        if producers == 0, queue == nil {
            throw refuse("queue", "a run without producers consumes an existing queue: name it")
        }
        if sequential, producers != 1 || producerChannels != 1 || consumers < 1 {
            throw refuse("sequential", "round trips need exactly one producer (one channel) and a consumer")
        }
        if sequential, messageSize < PerfMessage.timestampSize {
            throw refuse("size", "round trips carry a timestamp: at least \(PerfMessage.timestampSize) bytes")
        }
    }
}

extension PerfConfiguration {
    /// Reads a configuration as `JSONEncoder` wrote it (a summary's `configuration`), taking the
    /// default of each setting it lacks (but a `pacingInterval` of 0, how such a `hare` paced): a
    /// summary written by an earlier `hare`, which had fewer settings, reads back.
    public init(from decoder: any Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func read<Value: Decodable>(_ key: CodingKeys, into value: inout Value) throws {
            if let decoded = try container.decodeIfPresent(Value.self, forKey: key) { value = decoded }
        }
        try read(.url, into: &url)
        try read(.producers, into: &producers)
        try read(.consumers, into: &consumers)
        try read(.producerChannels, into: &producerChannels)
        try read(.consumerChannels, into: &consumerChannels)
        try read(.sharedConnections, into: &sharedConnections)
        try read(.messageSize, into: &messageSize)
        try read(.confirmWindow, into: &confirmWindow)
        try read(.prefetch, into: &prefetch)
        try read(.multiAckEvery, into: &multiAckEvery)
        try read(.autoAck, into: &autoAck)
        try read(.rate, into: &rate)
        // A summary without it was written by a `hare` whose producers woke for every message.
        pacingInterval = 0
        try read(.pacingInterval, into: &pacingInterval)
        try read(.duration, into: &duration)
        try read(.messageCount, into: &messageCount)
        try read(.queue, into: &queue)
        try read(.durable, into: &durable)
        try read(.quorum, into: &quorum)
        try read(.queueArguments, into: &queueArguments)
        try read(.consumerArguments, into: &consumerArguments)
        try read(.persistent, into: &persistent)
        try read(.exchange, into: &exchange)
        try read(.routingKey, into: &routingKey)
        try read(.exchangeType, into: &exchangeType)
        try read(.predeclared, into: &predeclared)
        try read(.skipBindingQueues, into: &skipBindingQueues)
        try read(.sequential, into: &sequential)
    }
}

extension PerfConfiguration {
    /// Checks the exchange, queue and consumer settings against each other.
    private func validateTopology() throws(PerfConfigurationError) {
        func refuse(_ setting: String, _ reason: String) -> PerfConfigurationError {
            PerfConfigurationError(setting: setting, reason: reason)
        }
        try PerfArgument.validate(queueArguments, setting: "queue-args")
        try PerfArgument.validate(consumerArguments, setting: "consumer-args")
        if !consumerArguments.isEmpty, consumers == 0 {
            throw refuse("consumer-args", "a run without consumers (-y 0) has no consumer to give them to")
        }
        if quorum, let type = queueArguments.first(where: { $0.key == "x-queue-type" }), type.value != .string("quorum") {
            throw refuse("queue-args", "x-queue-type conflicts with --quorum")
        }
        if queue == nil, let type = replicatedQueueType {
            throw refuse(quorum ? "quorum" : "queue-args", "a \(type) queue needs --queue: the broker names only classic queues")
        }
        if replicatedQueueType == "stream", consumers > 0, prefetch == 0 || autoAck {
            throw refuse("queue-args", "a stream queue's consumers need --prefetch and manual acknowledgements (no --auto-ack)")
        }
        if exchange == "amq.default" { throw refuse("exchange", "amq.default is the default exchange: leave --exchange out") }
        if skipBindingQueues, exchange.isEmpty {
            throw refuse("skip-binding-queues", "needs --exchange: the default exchange routes to every queue by its name")
        }
        if let exchangeType {
            guard !exchange.isEmpty else { throw refuse("exchange-type", "needs --exchange: the default exchange is always direct") }
            guard !exchangeType.isEmpty else { throw refuse("exchange-type", "must not be empty") }
            guard !isBrokerExchange else {
                throw refuse("exchange-type", "'\(exchange)' is the broker's own exchange, which a client cannot declare")
            }
        }
        guard predeclared else { return }
        guard queue != nil else { throw refuse("predeclared", "needs --queue: a queue that exists has a name") }
        let declaring = [
            ("durable", durable), ("quorum", quorum), ("queue-args", !queueArguments.isEmpty), ("exchange-type", exchangeType != nil),
        ]
        if let (setting, _) = declaring.first(where: { $0.1 }) {
            throw refuse(setting, "has no effect with --predeclared, which declares nothing")
        }
    }

    /// `quorum` or `stream` when the run declares its queue as one (`quorum`, or `x-queue-type`
    /// in `queueArguments`); nil for a classic queue.
    var replicatedQueueType: String? {
        if quorum { return "quorum" }
        guard case .string(let type)? = queueArguments.first(where: { $0.key == "x-queue-type" })?.value,
            type == "quorum" || type == "stream"
        else { return nil }
        return type
    }

    /// Whether the run declares its queue durable: with `durable`, and for a quorum or stream
    /// queue, which the broker keeps only durable. (The exchange is durable with `durable` only:
    /// PerfTest declares it without, and an exchange declared again must match.)
    var queueIsDurable: Bool { durable || replicatedQueueType != nil }

    /// Whether `exchange` is one of the broker's own (`amq.direct`, `amq.topic`, ...), which a
    /// client may check (a passive declare) but not declare.
    var isBrokerExchange: Bool { exchange.hasPrefix("amq.") }

    /// Refuses a connection with more channels than the URL's `channel_max` allows (the broker's
    /// own limit is checked once connected).
    private func validateChannelsPerConnection() throws(PerfConfigurationError) {
        guard let limit = (try? URLParameters(url))?.connectionParameters.channelMax,
            let busiest = connectionPlan.max(by: { $0.channels < $1.channels }), busiest.channels > Int(limit)
        else { return }
        throw PerfConfigurationError(
            setting: busiest.consumerChannels > busiest.producerChannels ? "consumer-channels" : "producer-channels",
            reason: "\(busiest.channels) channels on one connection; channel_max is \(limit)"
        )
    }
}

/// A `hare perf` setting that cannot work, with the reason.
public struct PerfConfigurationError: Error, CustomStringConvertible, Equatable {
    /// The command-line name of the setting.
    public var setting: String
    /// Why it is refused.
    public var reason: String

    /// A one-line account of the error.
    public var description: String { "--\(setting): \(reason)" }
}
