/// A publisher confirm (basic.ack or basic.nack from the broker in confirm mode).
public struct PublisherConfirm: Sendable, Hashable {
    /// Whether the broker took the messages (ack) or refused them (nack).
    public var isAck: Bool
    /// The delivery tag the broker named.
    public var deliveryTag: UInt64
    /// Whether the confirm covers every tag up to `deliveryTag`.
    public var multiple: Bool
    /// Every publish sequence number this confirm resolves, ascending.
    public var deliveryTags: [UInt64]

    /// Creates a confirm (for tests and adapters; the channel makes them from the broker's).
    public init(isAck: Bool, deliveryTag: UInt64, multiple: Bool, deliveryTags: [UInt64]) {
        self.isAck = isAck
        self.deliveryTag = deliveryTag
        self.multiple = multiple
        self.deliveryTags = deliveryTags
    }

    init(_ event: ConfirmEvent) {
        isAck = event.ack
        deliveryTag = event.deliveryTag
        multiple = event.multiple
        deliveryTags = event.resolvedTags
    }
}
