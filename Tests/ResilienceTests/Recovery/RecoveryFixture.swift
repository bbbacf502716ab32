import AMQPProtocol
import Foundation
import Hare
import HareTestSupport
import Testing

/// One recovering async connection to the fault broker, its recovery events in a mailbox, and
/// a plain (non-recovering) connection beside it for checks and publishing.
struct RecoveryFixture {
    let name: String
    let connection: Hare.Connection
    let events = Mailbox<RecoveryEvent>("recovery events")
    let observer: Hare.Connection

    static func open(
        _ label: String, recovery: RecoveryOptions = .fast, _ adjust: @escaping (inout ConnectionParameters) -> Void = { _ in }
    ) async throws -> RecoveryFixture {
        try await FaultBroker.ensureRunning()
        let name = "\(label)-\(UUID().uuidString.prefix(8))"
        let connection = try await Hare.Connection.connect(try FaultBroker.parameters(name: name, adjust), rpcTimeout: 30, recovery: recovery)
        let observer = try await Hare.Connection.connect(try FaultBroker.parameters(name: name + "-observer"), rpcTimeout: 30, recovery: .disabled)
        let fixture = RecoveryFixture(name: name, connection: connection, observer: observer)
        let stream = connection.recoveryEvents
        let events = fixture.events
        Task { for await event in stream { events.put(event) } }
        return fixture
    }

    /// Forces the connection closed from the broker (320) and waits for the recovery.
    @discardableResult
    func forceRecovery() async throws -> [RecoveryEvent] {
        try await FaultBroker.closeConnections(named: name)
        return try await expectRecovery(events)
    }

    /// Names of the fault broker's queues.
    static func queueNames() async throws -> Set<String> {
        Set(try await FaultBroker.ctl("list_queues", "--no-table-headers", "name").split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces)
        })
    }

    /// The queue's message count once it reaches `expected` (asked for up to 5 s), or the last
    /// one seen.
    static func messageCount(_ queue: String, on channel: Hare.Channel, reaching expected: UInt32) async throws -> UInt32 {
        var count: UInt32 = 0
        for _ in 0..<50 {
            count = try await channel.queueDeclare(queue: queue, passive: true).messageCount
            if count == expected { break }
            try await pause(0.1)
        }
        return count
    }

    /// The body of `consumer`'s next delivery, as text (nil when it ended), waiting at most 10 s.
    static func nextBody(of consumer: Consumer, _ what: String) async throws -> String? {
        try await withTimeout(10, what) {
            var iterator = consumer.makeAsyncIterator()
            return try await iterator.next().map { String(buffer: $0.body) }
        }
    }

    func close() async {
        try? await connection.close()
        try? await observer.close()
    }
}

/// What the tests read from recovery events.
extension RecoveryEvent {
    /// The error of a failed attempt, nil for other events.
    var attemptError: (any Error)? {
        guard case .attemptFailed(_, let error, _) = self else { return nil }
        return error
    }

    /// The error recovery started with, nil for other events.
    var startError: (any Error)? {
        guard case .started(let error) = self else { return nil }
        return error
    }

    /// The attempts a successful recovery took, nil for other events.
    var succeededAttempts: Int? {
        guard case .succeeded(let attempts) = self else { return nil }
        return attempts
    }

    /// The old and new names of a renamed server-named queue, nil for other events.
    var renamed: (old: String, new: String)? {
        guard case .queueNameChanged(let old, let new) = self else { return nil }
        return (old, new)
    }

    /// The entity that could not be redeclared, nil for other events.
    var failedEntity: RecordedEntity? {
        guard case .entityFailed(let entity, _) = self else { return nil }
        return entity
    }
}
