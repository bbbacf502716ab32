import AMQPProtocol
import Hare
import Histogram
import NIOCore
import NIOPosix
import Synchronization

/// One `hare perf` run: declares the queue, opens the connections of the configuration's
/// `connectionPlan` with their producer and consumer channels (on a shared event loop group),
/// reports every second, and stops on the run time, the message count or `requestStop()`
/// (Ctrl-C) with a summary.
public final class PerfRun: Sendable {
    /// What the run does.
    public let configuration: PerfConfiguration
    /// Its counters, live.
    public let statistics = PerfStatistics()
    private let stopRequested = Atomic<Bool>(false)
    /// How often the reporter looks at the counters (and at the clock, Ctrl-C, the count): it
    /// decides when the run stops, not the time it measures.
    let pollInterval: Duration

    /// Prepares a run; nothing connects before `run`.
    public convenience init(configuration: PerfConfiguration) {
        self.init(configuration: configuration, pollInterval: .milliseconds(50))
    }

    init(configuration: PerfConfiguration, pollInterval: Duration) {
        self.configuration = configuration
        self.pollInterval = pollInterval
    }

    /// Ends the run early (from any thread, a signal handler's queue included): it stops
    /// publishing, lets what is in flight arrive, and summarises.
    public func requestStop() {
        stopRequested.store(true, ordering: .relaxed)
    }

    /// Runs until the run time or message count is reached or `requestStop()` is called;
    /// `progress` gets a report every second.
    ///
    /// - Throws: `PerfConfigurationError` for a bad configuration, `URLParametersError` for a
    ///   bad URL, and what the broker refused (connecting, declaring the queue, consuming).
    public func run(progress: @Sendable (PerfProgress) -> Void) async throws -> PerfSummary {
        try configuration.validate()
        let parameters = try URLParameters(configuration.url)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: Swift.max(2, System.coreCount))
        defer { group.shutdownGracefully { _ in } }

        let setup = try await PerfEndpoint.open(parameters, on: group)
        var declared: String?
        let queue: String
        let connections: [PerfOpenConnection]
        do {
            try await declareExchange(on: setup)
            queue = try await declareQueue(on: setup)
            declared = queue
            try await bindQueue(queue, on: setup)
            connections = try await openConnections(
                parameters, on: group, queue: queue, routingKey: configuration.routingKey ?? queue
            )
        } catch {
            // The run's own queue goes with it (auto-delete removes a queue only after it had a
            // consumer); the setup channel may have been closed by the failure.
            if configuration.queue == nil, let declared, let cleanup = try? await PerfEndpoint.open(on: setup.connection) {
                let _: AMQP.Queue.DeleteOk? = try? await cleanup.call { channel, done in channel.queueDelete(queue: declared, callback: done) }
            }
            await setup.close()
            throw error
        }
        let producers = connections.flatMap(\.producers)
        let consumers = connections.flatMap(\.consumers)

        let start = ContinuousClock.now
        let usageAtStart = ProcessUsage.now()
        let startAt = NIODeadline.now()
        for producer in producers { producer.start(at: startAt) }
        let reported = try await report(from: start, usage: usageAtStart, progress: progress)
        let interrupted = stopRequested.load(ordering: .relaxed)
        let publishedFor = (ContinuousClock.now - start).seconds

        // Stop publishing; each producer lets its confirms in flight arrive, then makes one
        // synchronous round trip (every publish before it has reached the broker). All
        // producers at once, and briefly after Ctrl-C.
        let grace: Double = interrupted ? 3 : 10
        for producer in producers { producer.stop() }
        let producerEnds = await withTaskGroup(of: NIODeadline?.self) { group in
            for producer in producers { group.addTask { try? await producer.finished.wait(seconds: grace) } }
            return await group.reduce(into: [NIODeadline?]()) { $0.append($1) }
        }
        // A fixed rate stopped by the clock or Ctrl-C kept to its schedule until the stop: the
        // wait for what was then in flight would only dilute it. A run that reached its count
        // ends at its last round trip or counted delivery, as each happened. Otherwise the run's
        // rates count until everything published has reached the broker.
        let stoppedOnTime = interrupted || configuration.duration.map { publishedFor >= $0 } == true
        let fixedRateStopped = configuration.rate > 0 && stoppedOnTime
        let countedEnd = !stoppedOnTime && countReached(statistics.counts)
            ? Self.countedEnd(
                producerEnds: producerEnds, hasConsumers: !consumers.isEmpty,
                lastDelivery: statistics.lastCountedDelivery.load(ordering: .relaxed)
            )
            : nil
        let seconds = fixedRateStopped
            ? publishedFor
            : countedEnd.map { Double(($0 - startAt).nanoseconds) / 1e9 } ?? (ContinuousClock.now - start).seconds
        if !consumers.isEmpty, !producers.isEmpty { await awaitDeliveries(idle: grace, atMost: interrupted ? 3 : 60) }
        await withTaskGroup(of: Void.self) { group in
            for consumer in consumers { group.addTask { await consumer.stop(timeout: grace) } }
        }
        var latency = reported.latency
        latency.add(statistics.takeInterval())
        let usage = ProcessUsage.now()
        let threads = [reported.threads, ProcessUsage.threadCount()].compactMap { $0 }.max()

        await withTaskGroup(of: Void.self) { group in
            for open in connections { group.addTask { await PerfEndpoint.close(open.connection, seconds: grace) } }
        }
        if configuration.queue == nil {
            let _: AMQP.Queue.DeleteOk? = try? await setup.call { channel, done in channel.queueDelete(queue: queue, callback: done) }
        }
        await setup.close()
        return summary(
            queue: queue, seconds: seconds, latency: latency, cpu: usage.cpuSeconds - usageAtStart.cpuSeconds, usage: usage,
            threads: threads, connections: connections.count, channels: producers.count + consumers.count,
            interrupted: interrupted
        )
    }

    /// Declares the run's named exchange (with `predeclared`, or one of the broker's own, only
    /// checks that it exists).
    private func declareExchange(on setup: PerfEndpoint) async throws {
        let exchange = configuration.exchange
        guard !exchange.isEmpty else { return }
        let checkOnly = configuration.predeclared || configuration.isBrokerExchange
        let _: AMQP.Exchange.DeclareOk = try await setup.call { channel, done in
            channel.exchangeDeclare(
                exchange: exchange, exchangeType: configuration.exchangeType ?? "direct", passive: checkOnly,
                durable: configuration.durable, callback: done
            )
        }
    }

    /// Declares the run's queue (with `predeclared`, only checks that it exists); returns its name.
    private func declareQueue(on setup: PerfEndpoint) async throws -> String {
        var arguments = PerfArgument.table(configuration.queueArguments)
        if configuration.quorum { arguments["x-queue-type"] = .string("quorum") }
        let name = configuration.queue ?? ""
        let declared: AMQP.Queue.DeclareOk = try await setup.call { channel, done in
            channel.queueDeclare(
                queue: name, passive: configuration.predeclared, durable: configuration.queueIsDurable,
                autoDelete: configuration.queue == nil, arguments: arguments, callback: done
            )
        }
        return declared.queue
    }

    /// Binds `queue` to the named exchange with the routing key, unless `skipBindingQueues`.
    private func bindQueue(_ queue: String, on setup: PerfEndpoint) async throws {
        guard !configuration.exchange.isEmpty, !configuration.skipBindingQueues else { return }
        let _: AMQP.Queue.BindOk = try await setup.call { channel, done in
            channel.queueBind(
                queue: queue, exchange: configuration.exchange, routingKey: configuration.routingKey ?? queue, callback: done
            )
        }
    }

    /// Reports every second until the run should stop; returns every latency reported and the
    /// most threads the process had at a report.
    private func report(
        from start: ContinuousClock.Instant, usage: ProcessUsage, progress: @Sendable (PerfProgress) -> Void
    ) async throws -> (latency: Histogram<UInt64>, threads: Int?) {
        var total = PerfStatistics.makeHistogram()
        var threads = ProcessUsage.threadCount()
        var last = (instant: start, counts: PerfCounts(), cpu: usage.cpuSeconds)
        var nextReport = start + .seconds(1)
        while !shouldStop(elapsed: (ContinuousClock.now - start).seconds) {
            try await Task.sleep(for: pollInterval)
            let now = ContinuousClock.now
            guard now >= nextReport else { continue }
            nextReport = nextReport + .seconds(1)
            let counts = statistics.counts
            let cpu = ProcessUsage.now().cpuSeconds
            if let now = ProcessUsage.threadCount() { threads = Swift.max(threads ?? now, now) }
            let interval = statistics.takeInterval()
            total.add(interval)
            let seconds = Swift.max((now - last.instant).seconds, 1e-3)
            let delta = counts.since(last.counts)
            progress(PerfProgress(
                elapsed: (now - start).seconds, sentRate: Double(delta.sent) / seconds,
                confirmedRate: Double(delta.confirmed) / seconds, receivedRate: Double(delta.received) / seconds,
                latency: PerfLatency(interval), cpuPercent: (cpu - last.cpu) / seconds * 100
            ))
            last = (now, counts, cpu)
        }
        return (total, threads)
    }

    private func shouldStop(elapsed: Double) -> Bool {
        if stopRequested.load(ordering: .relaxed) { return true }
        if let duration = configuration.duration, elapsed >= duration { return true }
        guard configuration.messageCount != nil else { return false }
        // Producers that failed publish no more: what they would have sent is not awaited.
        if configuration.producers > 0,
            statistics.failedProducers.load(ordering: .relaxed) == configuration.producerChannelCount
        {
            return true
        }
        return countReached(statistics.counts)
    }

    /// Whether the run has its message count: published (and confirmed) and, with consumers,
    /// received, less what was nacked or returned.
    private func countReached(_ counts: PerfCounts) -> Bool {
        guard let count = configuration.messageCount else { return false }
        if configuration.producers == 0 { return counts.received >= count }
        guard counts.sent >= count else { return false }
        if configuration.confirmWindow > 0, counts.confirmed + counts.nacked < count { return false }
        // Nacked and returned messages never reach a consumer.
        return configuration.consumers == 0 || counts.received >= count - counts.nacked - counts.returned
    }

    /// When a run that reached its count ended: the latest of its producers' final round trips
    /// and, with consumers, its last counted delivery (`PerfStatistics.lastCountedDelivery`);
    /// nil when one of them is missing (a producer whose round trip failed or timed out).
    static func countedEnd(producerEnds: [NIODeadline?], hasConsumers: Bool, lastDelivery: UInt64) -> NIODeadline? {
        var end: NIODeadline?
        for producerEnd in producerEnds {
            guard let producerEnd else { return nil }
            end = Swift.max(end ?? producerEnd, producerEnd)
        }
        if hasConsumers {
            guard lastDelivery > 0 else { return nil }
            let delivered = NIODeadline.uptimeNanoseconds(lastDelivery)
            end = Swift.max(end ?? delivered, delivered)
        }
        return end
    }

    /// Waits until the consumers have every message sent, or `idle` seconds pass without
    /// progress, or `atMost` seconds in all.
    private func awaitDeliveries(idle: Double, atMost: Double) async {
        var lastReceived = -1
        let deadline = ContinuousClock.now + .seconds(atMost)
        var idleSince = ContinuousClock.now
        while ContinuousClock.now < deadline {
            let counts = statistics.counts
            if counts.received >= counts.sent - counts.returned - counts.nacked { return }
            if counts.received != lastReceived {
                lastReceived = counts.received
                idleSince = .now
            } else if (ContinuousClock.now - idleSince).seconds > idle {
                return
            }
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                return
            }
        }
    }

    private func summary(
        queue: String, seconds: Double, latency: Histogram<UInt64>, cpu: Double, usage: ProcessUsage, threads: Int?,
        connections: Int, channels: Int, interrupted: Bool
    ) -> PerfSummary {
        let counts = statistics.counts
        let elapsed = Swift.max(seconds, 1e-9)
        let messages = Swift.max(counts.sent, counts.received, 1)
        var reported = configuration
        reported.url = URLParameters.redactingPassword(in: configuration.url)
        return PerfSummary(
            configuration: reported, queue: queue, seconds: seconds, counts: counts,
            sentRate: Double(counts.sent) / elapsed, confirmedRate: Double(counts.confirmed) / elapsed,
            receivedRate: Double(counts.received) / elapsed, latency: PerfLatency(latency),
            clientCPUSeconds: cpu, clientCPUSecondsPer100k: cpu / Double(messages) * 100_000,
            peakResidentBytes: usage.peakResidentBytes, threads: threads, connections: connections, channels: channels,
            interrupted: interrupted,
            producerError: statistics.producerError
        )
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
