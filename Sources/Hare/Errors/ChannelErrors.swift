import AMQPProtocol

/// The broker closed the channel (channel.close from the broker), for example 404 NOT_FOUND for
/// a passive declare of a missing queue or 406 PRECONDITION_FAILED. The connection stays open.
public struct ChannelClosedByBroker: AMQPChannelError, AMQPCloseReason, Hashable {
    /// The AMQP reply code (404 NOT_FOUND, 320 CONNECTION_FORCED, ...).
    public var replyCode: UInt16
    /// The reply text that comes with the code.
    public var replyText: String
    /// The class and method the broker's close names as the cause.
    public var classID: UInt16
    /// The method id of the method that caused the close (0 when none).
    public var methodID: UInt16

    /// Creates the error from the broker's reply.
    public init(replyCode: UInt16, replyText: String, classID: UInt16 = 0, methodID: UInt16 = 0) {
        self.replyCode = replyCode
        self.replyText = replyText
        self.classID = classID
        self.methodID = methodID
    }
}

/// The application closed the channel; what pending work and close callbacks receive.
public struct ChannelClosedByClient: AMQPChannelError, AMQPCloseReason, Hashable {
    /// The AMQP reply code (404 NOT_FOUND, 320 CONNECTION_FORCED, ...).
    public var replyCode: UInt16
    /// The reply text that comes with the code.
    public var replyText: String

    /// Creates the error from the application's close.
    public init(replyCode: UInt16, replyText: String) {
        self.replyCode = replyCode
        self.replyText = replyText
    }
}

/// The channel ended because its connection closed; `connectionError` says why.
public struct ChannelClosedByConnection: AMQPChannelError {
    /// Why the connection closed.
    public var connectionError: any AMQPConnectionError

    /// Creates the error.
    public init(_ connectionError: any AMQPConnectionError) { self.connectionError = connectionError }

    /// A one-line account of the error, without secrets.
    public var description: String { "ChannelClosedByConnection: \(connectionError)" }
}

/// An operation was asked of a channel in a state that does not allow it (closed or closing,
/// not yet open, confirms on a transactional channel, and the like). Nothing was sent.
public struct ChannelWrongStateError: AMQPChannelError, AMQPReasonedError, Hashable {
    /// What was wrong.
    public var reason: String

    /// Creates the error.
    public init(reason: String) { self.reason = reason }
}

/// A mandatory message came back from the broker with basic.return: no queue could take it.
public struct UnroutableError: AMQPChannelError, Hashable {
    /// The broker's reply code (312 NO_ROUTE).
    public var replyCode: UInt16
    /// The broker's reply text.
    public var replyText: String
    /// The exchange and routing key of the message.
    public var exchange: String
    /// The routing key of the message.
    public var routingKey: String

    /// Creates the error.
    public init(replyCode: UInt16, replyText: String, exchange: String, routingKey: String) {
        self.replyCode = replyCode
        self.replyText = replyText
        self.exchange = exchange
        self.routingKey = routingKey
    }

    /// A one-line account of the error, without secrets.
    public var description: String {
        "UnroutableError: (\(replyCode)) \(replyText), exchange '\(exchange)', routing key '\(routingKey)'"
    }
}

/// The broker refused a message published in confirm mode (basic.nack).
public struct NackError: AMQPChannelError, Hashable {
    /// The delivery tag (publish sequence number) that was nacked.
    public var deliveryTag: UInt64

    /// Creates the error.
    public init(deliveryTag: UInt64) { self.deliveryTag = deliveryTag }

    /// A one-line account of the error, without secrets.
    public var description: String { "NackError: the broker refused message \(deliveryTag)" }
}

/// The broker cancelled a consumer (basic.cancel), for example because its queue was deleted.
public struct ConsumerCancelled: AMQPChannelError, Hashable {
    /// The consumer tag.
    public var consumerTag: String

    /// Creates the error.
    public init(consumerTag: String) { self.consumerTag = consumerTag }

    /// A one-line account of the error, without secrets.
    public var description: String { "ConsumerCancelled: the broker cancelled consumer '\(consumerTag)'" }
}

/// basic.consume with a consumer tag that is already in use on the channel.
public struct DuplicateConsumerTag: AMQPChannelError, Hashable {
    /// The consumer tag.
    public var consumerTag: String

    /// Creates the error.
    public init(consumerTag: String) { self.consumerTag = consumerTag }

    /// A one-line account of the error, without secrets.
    public var description: String { "DuplicateConsumerTag: '\(consumerTag)' is already in use on this channel" }
}

/// A consumer's deliveries were iterated a second time. A `Consumer` is unicast: one iterator,
/// in one task, gets its deliveries; the second iterator throws this at its first `next()`.
public struct ConsumerAlreadyIterated: AMQPChannelError, Hashable {
    /// The consumer tag.
    public var consumerTag: String

    /// Creates the error.
    public init(consumerTag: String) { self.consumerTag = consumerTag }

    /// A one-line account of the error.
    public var description: String {
        "ConsumerAlreadyIterated: consumer '\(consumerTag)' is already being iterated; a consumer has one iterator"
    }
}

/// The broker did not answer within the connection's `rpcTimeout`: the call stopped waiting.
/// Like a cancellation, it leaves the channel usable: the late answer, if any, is discarded, and
/// a confirm that comes late is simply not reported.
public struct RPCTimeoutError: AMQPChannelError, Hashable {
    /// What waited (`queueDeclare`, `publish`, `channel.close`, ...).
    public var operation: String
    /// The bound, in seconds.
    public var seconds: Double

    /// Creates the error.
    public init(operation: String, seconds: Double) {
        self.operation = operation
        self.seconds = seconds
    }

    /// A one-line account of the error.
    public var description: String {
        "RPCTimeoutError: \(operation) got no answer from the broker within \(seconds) s"
    }
}
