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
        /// Runs the confirmed workload against the fault broker and injects `fault`.
        static func scenario(
            _ name: String, expected: String, heartbeat: UInt16? = nil,
            fault: (ConfirmedWorkload) async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            try await FaultBroker.ensureRunning()
            try await FaultScenario.run(
                name, expected: expected,
                parameters: { connectionName in
                    try FaultBroker.parameters(name: connectionName) { if let heartbeat { $0.heartbeat = heartbeat } }
                },
                fault: fault, sourceLocation: sourceLocation
            )
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
