// The exchange a log tutorial publishes to and receives from.

import Hare

/// An exchange a tutorial declares: its name and its type, which decides where a message goes
/// ("fanout": every bound queue; "direct": the queues bound with its routing key; "topic": the
/// queues whose binding pattern matches its routing key).
public struct Exchange: Sendable {
    /// The exchange's name.
    public var name: String
    /// The exchange's type: "fanout", "direct", "topic", ...
    public var type: String

    /// An exchange called `name` of type `type`.
    public init(name: String, type: String) {
        self.name = name
        self.type = type
    }

    /// Declares the exchange (exchange.declare, not durable) on `channel`.
    public func declare(on channel: SelectChannel) {
        channel.exchangeDeclare(exchange: name, exchangeType: type)
    }
}
