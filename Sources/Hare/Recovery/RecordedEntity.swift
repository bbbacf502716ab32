import AMQPProtocol

/// An exchange the application declared, as recovery redeclares it.
public struct RecordedExchange: Sendable, Hashable {
    /// The exchange's name.
    public var name: String
    /// Its type (`direct`, `topic`, `fanout`, `headers`, ...).
    public var type: String
    /// Whether it survives a broker restart.
    public var durable: Bool
    /// Whether the broker deletes it once its last binding goes.
    public var autoDelete: Bool
    /// Whether only exchange-to-exchange bindings may publish to it.
    public var `internal`: Bool
    /// Its arguments (`alternate-exchange`, ...).
    public var arguments: FieldTable
}

/// A queue the application declared, as recovery redeclares it.
public struct RecordedQueue: Sendable, Hashable {
    /// The queue's name (for a server-named queue, the name the broker gave it last).
    public var name: String
    /// The broker chose the name: recovery declares it with an empty name and tells the
    /// application the new one (`RecoveryEvent.queueNameChanged`).
    public var serverNamed: Bool
    /// Whether it survives a broker restart.
    public var durable: Bool
    /// Whether only this connection may use it.
    public var exclusive: Bool
    /// Whether the broker deletes it once its last consumer goes.
    public var autoDelete: Bool
    /// Its arguments (`x-queue-type`, `x-message-ttl`, ...).
    public var arguments: FieldTable
}

/// A binding the application made, as recovery remakes it.
public struct RecordedBinding: Sendable, Hashable {
    /// What is bound to the source exchange.
    public enum Destination: Sendable, Hashable {
        /// A queue (queue.bind).
        case queue(String)
        /// An exchange (exchange.bind).
        case exchange(String)
    }

    /// The exchange messages come from.
    public var source: String
    /// Where they go.
    public var destination: Destination
    /// The routing key (binding key).
    public var routingKey: String
    /// The binding's arguments (for a headers exchange, say).
    public var arguments: FieldTable
}

/// A consumer the application started, as recovery restarts it (with the same tag).
public struct RecordedConsumer: Sendable, Hashable {
    /// The consumer tag.
    public var consumerTag: String
    /// The queue it consumes from.
    public var queue: String
    /// The channel it lives on.
    public var channelNumber: UInt16
    /// Whether the broker considers messages acknowledged once sent.
    public var autoAck: Bool
    /// Whether it is the queue's only consumer.
    public var exclusive: Bool
    /// Its arguments (`x-priority`, ...).
    public var arguments: FieldTable
}

/// Something recovery redeclares, as `RecoveryOptions.topologyFilter` sees it.
public enum RecordedEntity: Sendable, Hashable {
    /// An exchange.
    case exchange(RecordedExchange)
    /// A queue.
    case queue(RecordedQueue)
    /// A queue or exchange binding.
    case binding(RecordedBinding)
    /// A consumer.
    case consumer(RecordedConsumer)
}
