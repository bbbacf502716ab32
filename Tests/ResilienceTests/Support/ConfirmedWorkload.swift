import AMQPProtocol
import Foundation
import Hare
import HareTestSupport
import NIOCore
import Testing

/// The fault suite's yardstick: one connection publishes numbered persistent messages with
/// confirms to a durable queue, republishing whatever the connection loss left unconfirmed
/// (at-least-once), while another connection consumes and acks them. Both recover by themselves.
/// At the end, every confirmed message must have been consumed at least once.
final class ConfirmedWorkload: Sendable {
    let queue: String
    let total: Int
    /// The connection names of the two sides (unique per run, for rabbitmqctl).
    let publisherName: String
    let consumerName: String
    let publisher: Hare.Connection
    let consumer: Hare.Connection
    let confirmed = Locked(Set<Int>())
    let consumed = Locked(Set<Int>())
    let deliveries = Locked(0)
    let publishErrors = Locked<[String]>([])
    let publisherEvents = Mailbox<RecoveryEvent>("the publisher's recovery events")
    let consumerEvents = Mailbox<RecoveryEvent>("the consumer's recovery events")

    /// Connects both sides (named after `name`, `-pub` and `-sub`) and declares the queue.
    convenience init(name: String, total: Int, parameters: (String) throws -> ConnectionParameters, recovery: RecoveryOptions = .fast) async throws {
        try await self.init(name: name, total: total, hosts: { [try parameters($0)] }, recovery: recovery)
    }

    /// Connects both sides, each to the first of `hosts` that answers (recovery tries them in
    /// the same order), and declares the durable queue (`existingQueue`, or a new name) with
    /// `queueArguments` (`x-queue-type: quorum`, say).
    init(
        name: String, total: Int, hosts: (String) throws -> [ConnectionParameters], queueArguments: FieldTable = [:],
        existingQueue: String? = nil, recovery: RecoveryOptions = .fast
    ) async throws {
        let run = "\(name)-\(UUID().uuidString.prefix(8))"
        queue = existingQueue ?? "hare-faults-\(run)"
        publisherName = "\(run)-pub"
        consumerName = "\(run)-sub"
        self.total = total
        publisher = try await Hare.Connection.connect(try hosts(publisherName), rpcTimeout: 30, recovery: recovery)
        consumer = try await Hare.Connection.connect(try hosts(consumerName), rpcTimeout: 30, recovery: recovery)
        let setup = try await publisher.channel()
        try await setup.queueDeclare(queue: queue, durable: true, arguments: queueArguments)
        try await setup.close()
        for (connection, events) in [(publisher, publisherEvents), (consumer, consumerEvents)] {
            let stream = connection.recoveryEvents
            Task { for await event in stream { events.put(event) } }
        }
    }

    /// Consumes (prefetch 50, ack each) until the connection closes; the consumer survives
    /// recoveries.
    func startConsuming() async throws -> Task<Void, any Error> {
        let channel = try await consumer.channel()
        try await channel.basicQos(prefetchCount: 50)
        let deliveries = try await channel.basicConsume(queue: queue)
        return Task { [consumed, self] in
            for try await delivery in deliveries {
                if let index = Int(String(buffer: delivery.body)) { _ = consumed.withLock { $0.insert(index) } }
                self.deliveries.withLock { $0 += 1 }
                try? await delivery.ack()
            }
        }
    }

    /// Publishes every message with confirms, `window` at a time; a publish that fails (its
    /// confirm was lost with the connection, or the recovery took too long) is published again
    /// until it is confirmed. Returns when all are confirmed.
    func publishAll(window: Int = 50, deadline: Double = 120) async throws {
        let channels = PublishingChannel(connection: publisher)
        let start = Date()
        for first in stride(from: 0, to: total, by: window) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in first..<Swift.min(total, first + window) {
                    group.addTask { try await self.publishUntilConfirmed(index, on: channels, start: start, deadline: deadline) }
                }
                try await group.waitForAll()
            }
        }
    }

    private func publishUntilConfirmed(_ index: Int, on channels: PublishingChannel, start: Date, deadline: Double) async throws {
        while Date().timeIntervalSince(start) < deadline {
            var channel: Hare.Channel?
            do {
                channel = try await channels.current()
                try await channel?.publish(exchange: "", routingKey: queue, body: "\(index)", properties: AMQP.BasicProperties(deliveryMode: 2))
                _ = confirmed.withLock { $0.insert(index) }
                return
            } catch {
                publishErrors.withLock { $0.append("\(type(of: error))") }
                // RabbitMQ 3.10 can leave a channel nacking every publish after a quorum queue's
                // leader dies under it: publish on a fresh channel.
                if error is NackError, let channel { await channels.retire(channel) }
                try await pause(0.2)
            }
        }
        throw ScenarioFailure("message \(index) was not confirmed within \(deadline) s (\(confirmed.value.count) of \(total) were)")
    }

    /// Waits until every confirmed message was consumed (or `timeout` passes), then reports.
    func settle(timeout: Double = 60) async throws -> FaultReport {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            let missing = confirmed.value.subtracting(consumed.value)
            if missing.isEmpty { break }
            try await pause(0.1)
        }
        return report()
    }

    func report() -> FaultReport {
        let confirmed = confirmed.value
        let consumed = consumed.value
        return FaultReport(confirmed: confirmed.count, consumed: consumed.count, lost: confirmed.subtracting(consumed).count)
    }

    /// Closes both connections and deletes the queue.
    func finish() async {
        if let channel = try? await publisher.channel() { _ = try? await channel.queueDelete(queue: queue) }
        try? await publisher.close()
        try? await consumer.close()
    }
}

/// What a fault scenario measured: printed as one line `scripts/faults` collects.
struct FaultReport: Sendable, CustomStringConvertible {
    var confirmed: Int
    var consumed: Int
    var lost: Int

    var description: String { "confirmed=\(confirmed) consumed=\(consumed) lost=\(lost)" }

    /// Prints `FAULT-REPORT <scenario> | <expected> | <result> | confirmed | consumed | lost`.
    static func print(_ scenario: String, expected: String, result: String, _ report: FaultReport? = nil) {
        let counts = report.map { "\($0.confirmed) | \($0.consumed) | \($0.lost)" } ?? "- | - | -"
        Swift.print("FAULT-REPORT \(scenario) | \(expected) | \(result) | \(counts)")
    }
}

extension RecoveryOptions {
    /// Quick retries for tests: 0.2 s, then up to 2 s apart.
    static var fast: RecoveryOptions {
        RecoveryOptions(initialDelay: 0.2, maxDelay: 2, multiplier: 2, jitter: 0.1, whileRecovering: .wait(timeout: 60))
    }
}

/// Takes recovery events until `succeeded` and returns them all; fails if the first is not
/// `started` or recovery does not succeed within `timeout` seconds.
func expectRecovery(_ events: Mailbox<RecoveryEvent>, timeout: Double = 60, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [RecoveryEvent] {
    var seen: [RecoveryEvent] = []
    let start = Date()
    while true {
        let left = timeout - Date().timeIntervalSince(start)
        guard left > 0 else { throw TestTimeout(what: "recovery to succeed (saw \(seen))", seconds: timeout) }
        let event = try await events.next(timeout: left)
        seen.append(event)
        if case .succeeded = event { break }
    }
    guard case .started? = seen.first else {
        Issue.record("recovery did not begin with started: \(seen)", sourceLocation: sourceLocation)
        return seen
    }
    return seen
}

/// Polls `condition` every 50 ms until it holds; fails after `timeout` seconds.
func waitUntil(_ what: String, timeout: Double = 30, _ condition: () -> Bool) async throws {
    let start = Date()
    while !condition() {
        guard Date().timeIntervalSince(start) < timeout else { throw TestTimeout(what: what, seconds: timeout) }
        try await pause(0.05)
    }
}

/// The confirm-mode channel publishes go out on, replaced when it goes bad.
actor PublishingChannel {
    let connection: Hare.Connection
    private var channel: Hare.Channel?

    init(connection: Hare.Connection) {
        self.connection = connection
    }

    /// The channel, opened (in confirm mode) on first use or after `retire`.
    func current() async throws -> Hare.Channel {
        if let channel, channel.isOpen || connection.isRecovering { return channel }
        let fresh = try await connection.channel()
        try await fresh.confirmSelect()
        if let channel, channel.isOpen || connection.isRecovering {
            // Another task opened one meanwhile.
            try? await fresh.close()
            return channel
        }
        channel = fresh
        return fresh
    }

    /// Stops using `old` (it nacks everything): the next `current()` opens another.
    func retire(_ old: Hare.Channel) async {
        guard channel === old else { return }
        channel = nil
        try? await old.close()
    }
}
