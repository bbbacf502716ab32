import AMQPProtocol
import Foundation
import Hare
import HareTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Resilience {
    /// Faults on the real broker (the fault suite's own node) while one connection publishes
    /// with confirms and another consumes: both recover by themselves and every confirmed
    /// message is consumed at least once.
    @Suite("Broker faults")
    struct BrokerFaults {
        /// Runs the workload, injects `fault` once a few hundred messages are confirmed, and
        /// checks that both sides recovered and nothing confirmed was lost.
        static func scenario(
            _ name: String, expected: String, total: Int = 2000, heartbeat: UInt16? = nil,
            fault: @escaping (ConfirmedWorkload) async throws -> Void,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            try await FaultBroker.ensureRunning()
            let workload = try await ConfirmedWorkload(name: name, total: total) { connectionName in
                try FaultBroker.parameters(name: connectionName) { if let heartbeat { $0.heartbeat = heartbeat } }
            }
            let consuming = try await workload.startConsuming()
            let publishing = Task { try await workload.publishAll() }
            do {
                try await waitUntil("300 confirms before the fault") { workload.confirmed.value.count >= 300 }
                try await fault(workload)
                let publisherRecovery = try await expectRecovery(workload.publisherEvents)
                let consumerRecovery = try await expectRecovery(workload.consumerEvents)
                try await publishing.value
                let report = try await workload.settle()
                #expect(report.confirmed == total, "not every message was confirmed: \(report)", sourceLocation: sourceLocation)
                #expect(report.lost == 0, "confirmed messages were lost: \(report)", sourceLocation: sourceLocation)
                #expect(workload.publisher.isOpen && workload.consumer.isOpen, sourceLocation: sourceLocation)
                let attempts = publisherRecovery.compactMap { event -> Int? in
                    if case .succeeded(let attempts) = event { return attempts } else { return nil }
                }
                FaultReport.print(
                    name, expected: expected,
                    result: report.lost == 0 && report.confirmed == total
                        ? "recovered (publisher after \(attempts.first ?? 0) attempt(s), consumer \(consumerRecovery.count - 1) event(s))"
                        : "LOST MESSAGES",
                    report
                )
            } catch {
                publishing.cancel()
                consuming.cancel()
                FaultReport.print(name, expected: expected, result: "FAILED: \(error)", workload.report())
                await workload.finish()
                throw error
            }
            consuming.cancel()
            await workload.finish()
        }

        @Test("rabbitmqctl close_connection (320) on both connections: both recover, nothing confirmed is lost")
        func closeConnection() async throws {
            try await Self.scenario("close_connection", expected: "320 -> recover, republish unconfirmed") { workload in
                try await FaultBroker.closeConnections(named: workload.publisherName)
                try await FaultBroker.closeConnections(named: workload.consumerName)
            }
        }

        @Test("rabbitmqctl close_all_connections: both recover, nothing confirmed is lost")
        func closeAllConnections() async throws {
            try await Self.scenario("close_all_connections", expected: "320 -> recover, republish unconfirmed") { _ in
                try await FaultBroker.ctl("close_all_connections", "fault suite: close_all_connections")
            }
        }

        @Test("stop_app, then start_app 3 s later, while publishing and consuming: both recover, nothing confirmed is lost")
        func stopStartApp() async throws {
            try await Self.scenario("stop_app / start_app", expected: "320 or I/O error -> retry until back") { _ in
                try await FaultBroker.ctl("stop_app")
                try await pause(3)
                try await FaultBroker.ctl("start_app")
                try await FaultBroker.awaitStartup()
            }
        }

        @Test("heartbeat=1, the broker paused 4 s with SIGSTOP then resumed: missed heartbeats start a recovery that succeeds")
        func pausedBroker() async throws {
            try await Self.scenario("SIGSTOP 4 s (heartbeat 1)", expected: "heartbeat timeout -> recover after SIGCONT", heartbeat: 1) { _ in
                let pid = try await FaultBroker.osPID()
                guard kill(pid, SIGSTOP) == 0 else { throw ScenarioFailure("cannot SIGSTOP \(pid): errno \(errno)") }
                try? await pause(4)
                guard kill(pid, SIGCONT) == 0 else { throw ScenarioFailure("cannot SIGCONT \(pid): errno \(errno)") }
                try await FaultBroker.awaitStartup()
            }
        }
    }
}
