import AMQPProtocol
import Foundation
import Hare
import HareTestSupport
import Testing

extension Resilience {
    /// A quorum queue on the three-node cluster loses its leader while one client publishes
    /// with confirms and another consumes, both connected to the leader's node: they fail over
    /// to the other nodes and every confirmed message is consumed.
    @Suite("Cluster failover")
    struct ClusterFailover {
        enum Fault: String, CustomStringConvertible {
            case stopApp = "stop_app"
            case kill = "SIGKILL"
            var description: String { rawValue }
        }

        static func failover(_ fault: Fault, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            try await Cluster.ensureRunning()
            // The queue first, to learn its leader; then the clients, on the leader's node.
            let probe = try await Hare.Connection.connect(try Cluster.parameters(name: "cluster-probe", first: "hare-c1@localhost"), recovery: .disabled)
            let queue = "hare-faults-quorum-\(fault.rawValue.filter(\.isLetter))-\(UUID().uuidString.prefix(8))"
            let setup = try await probe.channel()
            try await setup.queueDeclare(queue: queue, durable: true, arguments: ["x-queue-type": .string("quorum")])
            let leader = try await Cluster.leader(of: queue)
            try await probe.close()

            let workload = try await ConfirmedWorkload(
                name: "cluster-\(fault.rawValue.filter(\.isLetter))", total: 3000,
                hosts: { try Cluster.parameters(name: $0, first: leader) }, queueArguments: ["x-queue-type": .string("quorum")],
                existingQueue: queue
            )
            let consuming = try await workload.startConsuming()
            let publishing = Task { try await workload.publishAll() }
            var restarted = false
            do {
                try await waitUntil("500 confirms before the fault", timeout: 60) { workload.confirmed.value.count >= 500 }
                switch fault {
                case .stopApp: try await Cluster.script("stop-app", leader)
                case .kill: try await Cluster.script("kill", leader)
                }
                _ = try await expectRecovery(workload.publisherEvents, timeout: 90)
                _ = try await expectRecovery(workload.consumerEvents, timeout: 90)
                try await publishing.value
                let report = try await workload.settle(timeout: 90)
                let newLeader = try await Cluster.leader(of: queue)
                #expect(newLeader != leader, "the queue is still led by the stopped node", sourceLocation: sourceLocation)
                #expect(report.confirmed == workload.total, "\(report)", sourceLocation: sourceLocation)
                #expect(report.lost == 0, "confirmed messages were lost: \(report)", sourceLocation: sourceLocation)
                FaultReport.print(
                    "cluster: quorum leader \(fault)", expected: "fail over to another node, nothing confirmed lost",
                    result: report.lost == 0 && report.confirmed == workload.total ? "failed over (leader \(leader) -> \(newLeader))" : "LOST MESSAGES",
                    report
                )
                try await restore(fault, leader)
                restarted = true
            } catch {
                publishing.cancel()
                FaultReport.print("cluster: quorum leader \(fault)", expected: "fail over", result: "FAILED: \(error)", workload.report())
                if !restarted { try? await restore(fault, leader) }
                consuming.cancel()
                await workload.finish()
                throw error
            }
            consuming.cancel()
            await workload.finish()
        }

        static func restore(_ fault: Fault, _ node: String) async throws {
            switch fault {
            case .stopApp: try await Cluster.script("start-app", node)
            case .kill: try await Cluster.restartNode(node)
            }
        }

        @Test("the quorum queue's leader node is stopped (stop_app): both clients fail over and every confirmed message is consumed")
        func stopLeader() async throws {
            try await Self.failover(.stopApp)
        }

        @Test("the quorum queue's leader node is killed (SIGKILL): both clients fail over and every confirmed message is consumed")
        func killLeader() async throws {
            try await Self.failover(.kill)
        }
    }
}
