import AMQPProtocol
import Foundation
import Hare
import HareTestSupport
import Testing

extension Resilience {
    /// Faults of the network between the client and the fault broker, injected by a `TCPProxy`
    /// (resets, a black hole, handshakes cut during recovery, a host that is down), and the
    /// broker's flow control (a memory alarm, a slow consumer): the client recovers where it
    /// should, does not where it should not, and its memory stays bounded.
    @Suite("Network faults")
    struct NetworkFaults {
        /// Runs the confirmed workload with both connections through a proxy to the fault
        /// broker and injects `fault`; both sides must come back through the proxy.
        static func proxiedScenario(
            _ name: String, expected: String, heartbeat: UInt16? = nil,
            fault: @escaping (ConfirmedWorkload, TCPProxy) async throws -> Void,
            check: (_ side: String, _ events: [RecoveryEvent]) -> Void = { _, _ in },
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            try await ProxiedBroker.withProxy { proxy in
                try await FaultScenario.run(
                    name, expected: expected,
                    parameters: { connectionName in
                        try ProxiedBroker.parameters(name: connectionName, through: proxy) { if let heartbeat { $0.heartbeat = heartbeat } }
                    },
                    fault: { workload in
                        #expect(proxy.activeConnections == 2, "both sides go through the proxy", sourceLocation: sourceLocation)
                        try await fault(workload, proxy)
                    },
                    check: check,
                    afterwards: { _ in
                        #expect(proxy.activeConnections == 2, "both sides came back through the proxy", sourceLocation: sourceLocation)
                    },
                    sourceLocation: sourceLocation
                )
            }
        }

        @Test("TCP reset of both connections (proxy resetAll): both recover through the proxy, nothing confirmed is lost")
        func tcpReset() async throws {
            try await Self.proxiedScenario("TCP reset (proxy RST)", expected: "StreamLostError -> recover, republish unconfirmed") { _, proxy in
                await proxy.resetAll()
            } check: { side, events in
                #expect(events.first?.startError is StreamLostError, "\(side) recovery started with \(FaultScenario.kind(events.first?.startError))")
                #expect(events.compactMap(\.succeededAttempts).first == 1, "\(side): \(events)")
            }
        }

        @Test("a silent drop (black hole) with heartbeat 1: missed heartbeats start a recovery that succeeds once traffic flows again")
        func silentDrop() async throws {
            let dropped = Locked<Double>(0)
            try await Self.proxiedScenario("silent drop ~3 s (heartbeat 1)", expected: "AMQPHeartbeatTimeout -> recover after resume", heartbeat: 1) { workload, proxy in
                let start = Date()
                await proxy.dropSilently()
                do {
                    // Both sides notice by themselves (two heartbeat intervals without a frame);
                    // the proxy keeps dropping for 3 s at least. Recovery's first attempt is
                    // accepted by the proxy into the same black hole: its handshake waits there
                    // and completes once traffic flows (within the stack timeout, 15 s).
                    try await waitUntil("both sides to notice the black hole", timeout: 10) {
                        workload.publisher.isRecovering && workload.consumer.isRecovering
                    }
                    let left = 3 - Date().timeIntervalSince(start)
                    if left > 0 { try await pause(left) }
                } catch {
                    await proxy.resume()
                    throw error
                }
                dropped.withLock { $0 = Date().timeIntervalSince(start) }
                await proxy.resume()
            } check: { side, events in
                let started = events.first?.startError
                #expect(started is AMQPHeartbeatTimeout, "\(side) recovery started with \(FaultScenario.kind(started))")
                #expect(events.compactMap(\.succeededAttempts).first != nil, "\(side): \(events)")
            }
            #expect(dropped.value >= 3 && dropped.value < 10, "dropped for \(dropped.value) s")
            print("silent drop: traffic dropped for \(String(format: "%.2f", dropped.value)) s")
        }
    }
}
