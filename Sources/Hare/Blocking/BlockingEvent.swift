/// Something the loop hands to the application's thread: a consumer delivery, a returned
/// message, a timer, a thread-safe callback, a blocked notice. It runs when the application
/// calls `processDataEvents`, `sleep`, `startConsuming` or iterates a `consume` sequence.
struct BlockingEvent: @unchecked Sendable {
    /// For a delivery to a `basicConsume` consumer: the consumer and what cancelling it does
    /// with the undelivered message (rejects it for requeue, unless auto-ack).
    struct Delivery {
        var channel: ObjectIdentifier
        var consumerTag: String
        var autoAck: Bool
        var reject: () -> Void
    }

    /// Set for consumer deliveries, so that a cancel can take them back.
    var delivery: Delivery?
    /// Runs the application's callback, on the application's thread.
    var run: () -> Void
}
