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

    init(_ event: ConfirmEvent) {
        isAck = event.ack
        deliveryTag = event.deliveryTag
        multiple = event.multiple
        deliveryTags = event.resolvedTags
    }
}
