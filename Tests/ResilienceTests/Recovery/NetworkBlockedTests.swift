import AMQPProtocol
import Foundation
import Hare
import HareTestSupport
import Testing

extension Resilience.NetworkFaults {
    @Test("a memory alarm blocks a publishing connection with blocked_connection_timeout 2: it closes with ConnectionBlockedTimeout in 2-6 s and is not recovered")
    func blockedConnectionTimeout() async throws {
        let scenario = "memory alarm, blocked_connection_timeout 2"
        let expected = "ConnectionBlockedTimeout, no recovery"
        let fixture = try await RecoveryFixture.open("blocked") { $0.blockedConnectionTimeout = 2 }
        do {
            let channel = try await fixture.connection.channel()
            let notices = Mailbox<BlockedNotice>("blocked notices")
            let noticeStream = fixture.connection.blockedNotices
            Task { for await notice in noticeStream { notices.put(notice) } }
            let (ending, took) = try await ProxiedBroker.withMemoryAlarm {
                // RabbitMQ blocks a connection when it publishes under an alarm.
                let start = Date()
                try await channel.basicPublish(exchange: "", routingKey: "hare-faults-nowhere-\(fixture.name)", body: "blocked")
                let ending = await FaultWait.ending(of: fixture.connection, within: 10)
                return (ending, Date().timeIntervalSince(start))
            }
            let blocked = try await notices.next(timeout: 1)
            guard case .blocked = blocked else {
                Issue.record("the first notice was \(blocked)")
                throw ScenarioFailure("no connection.blocked")
            }
            let timeout = try #require(ending as? ConnectionBlockedTimeout, "the connection ended with \(String(describing: ending))")
            #expect(timeout.timeout == 2)
            #expect(took >= 2 && took <= 6, "closed \(took) s after the publish")
            // Not recovered: no recovery event, closed for good, `closed()` tells why.
            try await pause(0.5)
            let events = fixture.events.drain()
            #expect(events.isEmpty, "recovery events after a blocked timeout: \(events)")
            #expect(!fixture.connection.isOpen && !fixture.connection.isRecovering)
            #expect(await fixture.connection.closed() is ConnectionBlockedTimeout)
            FaultReport.print(
                scenario, expected: expected,
                result: "\(FaultScenario.kind(ending)) \(String(format: "%.2f", took)) s after the publish; no recovery events"
            )
        } catch {
            FaultReport.print(scenario, expected: expected, result: "FAILED: \(error)")
            await fixture.close()
            throw error
        }
        await fixture.close()
    }
}
