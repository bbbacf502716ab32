import Foundation
import Hare
import HareTestSupport

/// The three-node cluster of `scripts/cluster` (hare-c1..3@localhost on 127.0.0.1:5681-5683).
enum Cluster {
    static let nodes = ["hare-c1@localhost": 5681, "hare-c2@localhost": 5682, "hare-c3@localhost": 5683]

    /// Runs `scripts/cluster ARGS` and returns what it printed; fails unless it exits 0.
    @discardableResult
    static func script(_ arguments: String..., timeout: Double = 300) async throws -> String {
        try await CommandRunner.check([FaultBroker.root.appendingPathComponent("scripts/cluster").path] + arguments, timeout: timeout).stdout
    }

    /// Starts the cluster (or the nodes and apps a test left stopped); quick when it is healthy.
    static func ensureRunning() async throws {
        if try await isHealthy() { return }
        try await FaultBroker.startDetached(["scripts/cluster", "start"], log: "cluster", until: isHealthy)
    }

    /// Every node runs its app and is a member of the cluster.
    static func isHealthy() async throws -> Bool {
        try await CommandRunner.run([FaultBroker.root.appendingPathComponent("scripts/cluster").path, "status"], timeout: 60).status == 0
    }

    /// Starts a killed node again and waits until it is back in the cluster.
    static func restartNode(_ node: String) async throws {
        try await FaultBroker.startDetached(["scripts/cluster", "start-node", node], log: "cluster-\(node)", until: isHealthy)
    }

    /// The node that leads quorum queue `queue`.
    static func leader(of queue: String) async throws -> String {
        let output = try await script("leader", queue, timeout: 60).trimmingCharacters(in: .whitespacesAndNewlines)
        guard nodes[output] != nil else { throw CommandFailure(description: "no leader for \(queue): '\(output)'") }
        return output
    }

    /// Parameters for every node, `first` first and the others after it, named `name`.
    static func parameters(name: String, first: String) throws -> [ConnectionParameters] {
        let order = [first] + nodes.keys.sorted().filter { $0 != first }
        return try order.compactMap { node in
            guard let port = nodes[node] else { return nil }
            return try FaultBroker.parameters(name: name) { parameters in
                parameters.port = port
                parameters.socketTimeout = 3
            }
        }
    }
}
