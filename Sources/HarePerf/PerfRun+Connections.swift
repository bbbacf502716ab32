import Hare
import NIOCore

/// One connection of a run with the producers and consumers on its channels.
struct PerfOpenConnection: Sendable {
    let connection: SelectConnection
    let producers: [PerfProducer]
    let consumers: [PerfConsumer]
}

extension PerfRun {
    /// Connections that open at the same time.
    static let connectionsOpeningAtOnce = 16

    /// Opens the run's connections as `connectionPlan` lays them out (a few at a time), with
    /// their producers ready (confirm mode on) and their consumers consuming `queue`. When one
    /// fails, closes the others and throws its error.
    func openConnections(
        _ parameters: URLParameters, on group: any EventLoopGroup, queue: String, routingKey: String
    ) async throws -> [PerfOpenConnection] {
        let plan = configuration.connectionPlan
        var firstProducers: [Int] = []
        var producerCount = 0
        for entry in plan {
            firstProducers.append(producerCount)
            producerCount += entry.producerChannels
        }
        let producers = producerCount
        let result = await withTaskGroup(of: (Int, Result<PerfOpenConnection, any Error>).self) { tasks in
            var opened: [(index: Int, connection: PerfOpenConnection)] = []
            var failure: (any Error)?
            var next = 0
            func add(_ index: Int) {
                let entry = plan[index]
                let first = firstProducers[index]
                tasks.addTask {
                    do {
                        let connection = try await self.openConnection(
                            entry, firstProducer: first, producers: producers, parameters: parameters, on: group,
                            queue: queue, routingKey: routingKey
                        )
                        return (index, .success(connection))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            while next < Swift.min(plan.count, Self.connectionsOpeningAtOnce) {
                add(next)
                next += 1
            }
            while let (index, result) = await tasks.next() {
                switch result {
                case .success(let connection): opened.append((index, connection))
                case .failure(let error): failure = failure ?? error
                }
                if failure == nil, next < plan.count {
                    add(next)
                    next += 1
                }
            }
            if let failure {
                for (_, open) in opened { await PerfEndpoint.close(open.connection) }
                return Result<[PerfOpenConnection], any Error>.failure(failure)
            }
            return .success(opened.sorted { $0.index < $1.index }.map(\.connection))
        }
        return try result.get()
    }

    /// Opens one connection with its producer and consumer channels; closes it on failure.
    /// Producer `firstProducer + k` of `producers` gets its share of the rate and the count, and its
    /// place in the rate's schedule.
    private func openConnection(
        _ entry: PerfConnectionPlan, firstProducer: Int, producers: Int, parameters: URLParameters,
        on group: any EventLoopGroup, queue: String, routingKey: String
    ) async throws -> PerfOpenConnection {
        let connection = try await PerfEndpoint.connect(parameters, on: group)
        do {
            if let limit = connection.limits?.channelMax, limit > 0, entry.channels > Int(limit) {
                throw PerfConfigurationError(
                    setting: entry.consumerChannels > entry.producerChannels ? "consumer-channels" : "producer-channels",
                    reason: "\(entry.channels) channels on one connection; the broker's channel_max is \(limit)"
                )
            }
            var opened: [PerfProducer] = []
            for offset in 0..<entry.producerChannels {
                let index = firstProducer + offset
                let pacing = PerfPacing(
                    sharing: configuration.rate, index: index, of: producers, wakeInterval: Int64(configuration.pacingInterval) * 1000
                )
                let producer = PerfProducer(
                    endpoint: try await PerfEndpoint.open(on: connection), configuration: configuration,
                    statistics: statistics, quota: quota(of: index, among: producers), pacing: pacing, routingKey: routingKey,
                    queue: queue
                )
                try await producer.prepare()
                opened.append(producer)
            }
            // Round trips consume on the producer's connection, as an RPC client does.
            let roundTripProducer = configuration.sequential ? opened.first : nil
            var consumers: [PerfConsumer] = []
            for _ in 0..<entry.consumerChannels {
                let consumer = PerfConsumer(
                    endpoint: try await PerfEndpoint.open(on: connection), configuration: configuration,
                    statistics: statistics, onDelivery: { roundTripProducer?.messageReceived() }
                )
                try await consumer.start(queue: queue)
                consumers.append(consumer)
            }
            return PerfOpenConnection(connection: connection, producers: opened, consumers: consumers)
        } catch {
            await PerfEndpoint.close(connection)
            throw error
        }
    }

    /// The share of the message count that producer `index` of `producers` publishes.
    func quota(of index: Int, among producers: Int) -> Int? {
        guard let count = configuration.messageCount, producers > 0 else { return nil }
        return count / producers + (index < count % producers ? 1 : 0)
    }
}
