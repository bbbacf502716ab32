import AMQPProtocol
import Hare
import NIOCore

/// One publishing channel. All of its state lives on its connection's event loop: it publishes
/// in batches of at most `batch` messages per loop turn, keeps at most the confirm window
/// unconfirmed, waits for the socket to drain (`whenWritable`) so that its memory stays bounded,
/// and keeps to its share of the rate on the schedule of its `PerfPacing` (from the start the
/// run gives all producers: a late timer never adds up to drift, and producers' messages fall due
/// interleaved), waking on the pacing's grid to send what is due by then.
final class PerfProducer: @unchecked Sendable {
    // @unchecked: every mutable property is touched on `eventLoop` only.
    let endpoint: PerfEndpoint
    let configuration: PerfConfiguration
    let statistics: PerfStatistics
    /// Messages this producer publishes; nil: until stopped.
    let quota: Int?
    /// When its messages are due (its share of the rate; no limit at rate 0).
    let pacing: PerfPacing
    let routingKey: String
    /// The run's queue, declared passively by the round trip that ends this producer's run.
    let queue: String
    let properties: AMQP.BasicProperties
    let eventLoop: any EventLoop
    static let batch = 256

    // Without the runtime's exclusivity checks (a thread-local lookup each): these are touched
    // on the loop only, never through overlapping accesses, and every message touches them.
    @exclusivity(unchecked) private var published = 0
    @exclusivity(unchecked) private var unconfirmed = 0
    @exclusivity(unchecked) private var stopped = false
    @exclusivity(unchecked) private var pumpScheduled = false
    private var rateTimerPending = false
    /// The body of every message, stamped with its send time just before it goes out (the
    /// publish encodes it, so the next stamp changes it in place: no allocation per message).
    @exclusivity(unchecked) private var body: ByteBuffer
    private var startedAt = NIODeadline.now()
    /// Done publishing (quota reached or stopped), in confirm mode every confirm in, and a
    /// synchronous round trip (passive queue.declare) behind the last publish back: resolves
    /// with the instant it came back, when every publish has reached the broker.
    let finished = ResumeOnce<NIODeadline>()
    /// The round trip that ends the run is on its way.
    private var finishing = false

    init(
        endpoint: PerfEndpoint, configuration: PerfConfiguration, statistics: PerfStatistics, quota: Int?,
        pacing: PerfPacing, routingKey: String, queue: String
    ) {
        self.endpoint = endpoint
        self.configuration = configuration
        self.statistics = statistics
        self.quota = quota
        self.pacing = pacing
        self.routingKey = routingKey
        self.queue = queue
        properties = AMQP.BasicProperties(deliveryMode: configuration.persistent ? 2 : nil)
        body = PerfMessage.body(size: configuration.messageSize, sentAt: 0, allocator: ByteBufferAllocator())
        eventLoop = endpoint.channel.connection.ioloop.eventLoop
    }

    /// Turns confirm mode on when asked for; then publishing can start.
    func prepare() async throws {
        guard configuration.confirmWindow > 0 else { return }
        let _: AMQP.Confirm.SelectOk = try await endpoint.call { channel, done in
            channel.confirmDelivery(ackNackCallback: { [self] _, confirm in self.confirmed(confirm) }, callback: done)
        }
    }

    /// Starts publishing, on the schedule that begins at `start` (the same for every producer).
    func start(at start: NIODeadline) {
        eventLoop.execute { [self] in
            startedAt = start
            schedulePump()
        }
    }

    /// Stops publishing (what is in flight still gets its confirm).
    func stop() {
        eventLoop.execute { [self] in
            stopped = true
            finishIfDone()
        }
    }

    /// A consumer received a message (sequential round trips wait for it). On the producer's
    /// own loop, which is where round-trip consumers run, the next message goes out from inside
    /// the delivery, as an RPC client answers: it leaves with the read's flush, without a loop
    /// turn in between. One message in flight needs no wait for the socket.
    func messageReceived() {
        if configuration.sequential, eventLoop.inEventLoop {
            pump()
        } else {
            eventLoop.execute { [self] in schedulePump() }
        }
    }

    /// Pumps once the socket has room (on a later loop turn: never recursively), unless a pump
    /// is already on its way. Every publish goes through here, so write backpressure holds at
    /// any rate.
    private func schedulePump() {
        guard !pumpScheduled else { return }
        pumpScheduled = true
        endpoint.channel.whenWritable { [self] writable in
            pumpScheduled = false
            if case .success = writable { pump() }
        }
    }

    private func pump() {
        var budget = Self.batch
        while budget > 0 {
            guard !stopped, quota.map({ published < $0 }) ?? true else {
                finishIfDone()
                return
            }
            if configuration.confirmWindow > 0, unconfirmed >= configuration.confirmWindow { return }  // a confirm pumps
            if configuration.sequential, statistics.received.load(ordering: .relaxed) < published { return }  // a delivery pumps
            if pacing.rate > 0 {
                let due = pacing.due(published)
                if startedAt + .nanoseconds(due) > NIODeadline.now() {
                    if !rateTimerPending {
                        rateTimerPending = true
                        eventLoop.scheduleTask(deadline: startedAt + .nanoseconds(pacing.wakeTime(for: due))) { [self] in
                            rateTimerPending = false
                            schedulePump()
                        }
                    }
                    return
                }
            }
            publishOne()
            budget -= 1
        }
        // The batch is out: go on once the socket has room, after what the loop has to read.
        schedulePump()
    }

    private func publishOne() {
        PerfMessage.stamp(&body, sentAt: NIODeadline.now().uptimeNanoseconds)
        do {
            _ = try endpoint.channel.basicPublish(
                exchange: configuration.exchange, routingKey: routingKey, body: body, properties: properties
            )
            published += 1
            if configuration.confirmWindow > 0 { unconfirmed += 1 }
            statistics.sent.add(1, ordering: .relaxed)
        } catch {
            stopped = true
            finishing = true
            statistics.producerFailed(error)
            finished.resume(.failure(error))
        }
    }

    private func confirmed(_ confirm: PublisherConfirm) {
        let count = confirm.deliveryTags.count
        unconfirmed -= count
        if confirm.isAck {
            statistics.confirmed.add(count, ordering: .relaxed)
        } else {
            statistics.nacked.add(count, ordering: .relaxed)
        }
        if stopped || quota.map({ published >= $0 }) == true {
            finishIfDone()
        } else {
            schedulePump()
        }
    }

    /// Ends the run once nothing is unconfirmed: the round trip goes out at once, from the
    /// loop, so the run's time ends when every publish reached the broker, not when the reporter
    /// next looks.
    private func finishIfDone() {
        guard unconfirmed == 0, !finishing else { return }
        finishing = true
        endpoint.channel.queueDeclare(queue: queue, passive: true) { [self] _ in
            finished.resume(.success(NIODeadline.now()))
        }
    }
}
