import AMQPProtocol

/// What a synchronous channel request completes with: the reply method, or for basic.get the
/// message that get-ok announced.
enum ChannelReply {
    case method(AMQP.Method)
    case message(ContentMessage)
}

/// A publisher confirm from the broker, with the publish sequence numbers it resolves.
struct ConfirmEvent: Equatable {
    /// basic.ack (true) or basic.nack (false).
    var ack: Bool
    var deliveryTag: UInt64
    var multiple: Bool
    /// The unconfirmed tags this confirm resolves, ascending.
    var resolvedTags: [UInt64]
}
