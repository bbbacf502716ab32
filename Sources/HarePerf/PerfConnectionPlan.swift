/// What one connection of a `hare perf` run carries: its publishing and consuming channels.
public struct PerfConnectionPlan: Sendable, Equatable, CustomStringConvertible {
    /// Channels on this connection that publish, one producer each.
    public var producerChannels: Int
    /// Channels on this connection that consume, one consumer each.
    public var consumerChannels: Int

    /// A connection with `producerChannels` publishing and `consumerChannels` consuming channels.
    public init(producerChannels: Int, consumerChannels: Int) {
        self.producerChannels = producerChannels
        self.consumerChannels = consumerChannels
    }

    /// Every channel of the connection.
    public var channels: Int { producerChannels + consumerChannels }

    /// "10 publishing + 10 consuming channels".
    public var description: String { "\(producerChannels) publishing + \(consumerChannels) consuming channels" }
}

extension PerfConfiguration {
    /// The run's connections in the order they open (the queue's setup connection aside):
    ///
    /// - by default, `producers` connections with `producerChannels` publishing channels each,
    ///   then `consumers` connections with `consumerChannels` consuming channels each;
    /// - with `sharedConnections`, `producers` connections, each with `producerChannels`
    ///   publishing channels, and the first `consumers` of them also with `consumerChannels`
    ///   consuming channels;
    /// - with `sequential`, every consumer channel (`consumers` x `consumerChannels`) opens on the
    ///   one producer's connection.
    public var connectionPlan: [PerfConnectionPlan] {
        let producers = Swift.max(producers, 0)
        let consumers = Swift.max(consumers, 0)
        let publishing = PerfConnectionPlan(producerChannels: producerChannels, consumerChannels: 0)
        let consuming = PerfConnectionPlan(producerChannels: 0, consumerChannels: consumerChannels)
        if sequential, producers > 0 {
            var plan = Array(repeating: publishing, count: producers)
            plan[0].consumerChannels = consumers * consumerChannels
            return plan
        }
        if sharedConnections {
            return (0..<Swift.max(producers, consumers)).map { index in
                PerfConnectionPlan(
                    producerChannels: index < producers ? producerChannels : 0,
                    consumerChannels: index < consumers ? consumerChannels : 0
                )
            }
        }
        return Array(repeating: publishing, count: producers) + Array(repeating: consuming, count: consumers)
    }

    /// Producer channels in all: every one publishes an equal share of the rate and the count.
    public var producerChannelCount: Int { Swift.max(producers, 0) * producerChannels }

    /// Consumer channels in all.
    public var consumerChannelCount: Int { Swift.max(consumers, 0) * consumerChannels }
}
