import AMQPProtocol
import Hare
import Testing

import HareTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the broker does to a connection: closes it (normally, or by an operator), blocks it
/// under a memory alarm, and goes silent (heartbeats).
enum BrokerScenarios {
    /// A normal close reports ConnectionClosedByClient(200).
    static func normalClose<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withConnection { connection in
            let reason = try await connection.close()
            let closed = try #require(reason as? ConnectionClosedByClient, "closed with \(reason)")
            #expect(closed.replyCode == 200)
            #expect(!connection.isOpen)
        }
    }

    /// `rabbitmqctl close_connection` reaches the close callback as ConnectionClosedByBroker(320)
    /// with the operator's explanation.
    static func closedByOperator<Face: TestFace>(_: Face.Type) async throws {
        let name = Names.unique("hare-test-operator-close")
        try await Face.withConnection(Broker.parameters(name: name)) { connection in
            let channel = try await connection.openChannel()
            try await channel.queueDeclare("", exclusive: true)
            try await RabbitMQCtl.closeConnection(named: name, explanation: "closed by the Hare tests")
            let reason = try await connection.closeReason()
            let closed = try #require(reason as? ConnectionClosedByBroker, "closed with \(reason)")
            #expect(closed.replyCode == 320)
            #expect(closed.replyText.contains("closed by the Hare tests"))
            #expect(!connection.isOpen)
        }
    }

    /// A memory alarm blocks a publishing connection (connection.blocked); clearing it unblocks
    /// the connection (connection.unblocked). The watermark is restored even when the test fails.
    static func memoryAlarmBlocksAndUnblocks<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { connection, channel in
            let queue = Names.unique("hare-test-blocked")
            try await channel.queueDeclare(queue)
            let blocked = try await RabbitMQCtl.withMemoryAlarm {
                // RabbitMQ blocks (and tells) a connection once it publishes under the alarm.
                try await channel.publish(to: queue, "under the alarm")
                return try await connection.nextNotice(timeout: 15)
            }
            guard case .blocked(let reason) = blocked else {
                Issue.record("expected connection.blocked, got \(blocked)")
                return
            }
            #expect(reason.contains("memory"))
            let unblocked = try await connection.nextNotice(timeout: 15)
            #expect(unblocked == .unblocked)
            // The held publish goes through once unblocked.
            let message = try await channel.awaitMessage(queue, autoAck: true, timeout: 15)
            #expect(message.bodyString == "under the alarm")
            #expect(connection.isOpen)
        }
    }

    /// A connection blocked for longer than blocked_connection_timeout is closed with
    /// ConnectionBlockedTimeout. The watermark is restored even when the test fails.
    static func blockedConnectionTimeout<Face: TestFace>(_: Face.Type) async throws {
        let parameters = try Broker.parameters { $0.blockedConnectionTimeout = 1 }
        try await Face.withChannel(parameters) { connection, channel in
            let queue = Names.unique("hare-test-blocked-timeout")
            try await channel.queueDeclare(queue)
            let reason = try await RabbitMQCtl.withMemoryAlarm {
                try await channel.publish(to: queue, "under the alarm")
                guard case .blocked = try await connection.nextNotice(timeout: 15) else {
                    throw ScenarioFailure("expected connection.blocked first")
                }
                return try await connection.closeReason(timeout: 5)
            }
            let timeout = try #require(reason as? ConnectionBlockedTimeout, "closed with \(reason)")
            #expect(timeout.timeout == 1)
            #expect(!connection.isOpen)
        }
    }

    /// With heartbeat=1 an idle connection stays open: heartbeats flow both ways.
    static func idleConnectionStaysOpen<Face: TestFace>(_: Face.Type) async throws {
        let parameters = try Broker.parameters { $0.heartbeat = 1 }
        try await Face.withChannel(parameters) { connection, channel in
            try await pause(5)
            #expect(connection.isOpen)
            #expect(channel.isOpen)
            await #expect(throws: TestTimeout.self) { _ = try await connection.closeReason(timeout: 0.1) }
            try await channel.queueDeclare("", exclusive: true)
        }
    }

    /// With heartbeat=1, a broker paused with SIGSTOP for 4 s is reported dead within 3 s
    /// (AMQPHeartbeatTimeout). The broker is always resumed, and answers again before the test
    /// ends.
    static func pausedBrokerIsDeadPeer<Face: TestFace>(_: Face.Type) async throws {
        let parameters = try Broker.parameters { $0.heartbeat = 1 }
        let pid = try await RabbitMQCtl.brokerOSPID()
        try await Face.withConnection(parameters) { connection in
            let clock = ContinuousClock()
            let stoppedAt = clock.now
            guard kill(pid, SIGSTOP) == 0 else {
                Issue.record("cannot SIGSTOP the broker (pid \(pid)): errno \(errno)")
                return
            }
            defer { kill(pid, SIGCONT) }
            let outcome: Result<any Error, any Error>
            do {
                outcome = .success(try await connection.closeReason(timeout: 3))
            } catch {
                outcome = .failure(error)
            }
            let detectedAfter = clock.now - stoppedAt
            let resumeAt = stoppedAt + .seconds(4)
            if clock.now < resumeAt { try? await clock.sleep(until: resumeAt) }
            kill(pid, SIGCONT)
            try await BrokerScenarios.awaitBrokerAnswers(Face.self)

            let reason = try outcome.get()
            #expect(reason is AMQPHeartbeatTimeout, "closed with \(reason)")
            #expect(detectedAfter < .seconds(3), "the dead peer was reported after \(detectedAfter)")
            #expect(!connection.isOpen)
        }
    }

    /// Waits until the broker answers again: rabbitmqctl, then a fresh AMQP connection.
    static func awaitBrokerAnswers<Face: TestFace>(_: Face.Type) async throws {
        try await RabbitMQCtl.awaitStartup()
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                let probe = try await Face.connect(try Broker.parameters(), timeout: 5)
                await probe.shutdown()
                return
            } catch {
                guard ContinuousClock.now < deadline else { throw error }
                try await pause(0.5)
            }
        }
    }
}
