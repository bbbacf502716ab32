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
        /// broker, injects `fault` once 300 messages are confirmed, and checks that both sides
        /// recovered (`check` sees each side's events, `started` to `succeeded`) and nothing
        /// confirmed was lost.
        static func proxiedScenario(
            _ name: String, expected: String, total: Int = 2000, heartbeat: UInt16? = nil,
            fault: @escaping (ConfirmedWorkload, TCPProxy) async throws -> Void,
            check: (_ side: String, _ events: [RecoveryEvent]) -> Void = { _, _ in },
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            try await ProxiedBroker.withProxy { proxy in
                let workload = try await ConfirmedWorkload(name: name, total: total) { connectionName in
                    try ProxiedBroker.parameters(name: connectionName, through: proxy) { if let heartbeat { $0.heartbeat = heartbeat } }
                }
                let consuming = try await workload.startConsuming()
                let publishing = Task { try await workload.publishAll() }
                do {
                    #expect(proxy.activeConnections == 2, "both sides go through the proxy", sourceLocation: sourceLocation)
                    try await waitUntil("300 confirms before the fault") { workload.confirmed.value.count >= 300 }
                    let before = workload.confirmed.value.count
                    try await fault(workload, proxy)
                    let publisherRecovery = try await expectRecovery(workload.publisherEvents, timeout: 30)
                    let consumerRecovery = try await expectRecovery(workload.consumerEvents, timeout: 30)
                    check("publisher", publisherRecovery)
                    check("consumer", consumerRecovery)
                    try await withTimeout(60, "the workload to publish everything") { try await publishing.value }
                    let report = try await workload.settle(timeout: 30)
                    #expect(report.confirmed == total, "not every message was confirmed: \(report)", sourceLocation: sourceLocation)
                    #expect(report.lost == 0, "confirmed messages were lost: \(report)", sourceLocation: sourceLocation)
                    #expect(workload.publisher.isOpen && workload.consumer.isOpen, sourceLocation: sourceLocation)
                    #expect(proxy.activeConnections == 2, "both sides came back through the proxy", sourceLocation: sourceLocation)
                    let attempts = publisherRecovery.compactMap(\.succeededAttempts).first ?? 0
                    FaultReport.print(
                        name, expected: expected,
                        result: report.lost == 0 && report.confirmed == total
                            ? "recovered (fault after \(before) confirms; publisher after \(attempts) attempt(s), "
                                + "started by \(Self.kind(publisherRecovery.first?.startError)); "
                                + "\(workload.publishErrors.value.count) publish(es) retried)"
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
        }

        /// An error's type name, for reports.
        static func kind(_ error: (any Error)?) -> String {
            error.map { "\(type(of: $0))" } ?? "nothing"
        }

        @Test("TCP reset of both connections (proxy resetAll): both recover through the proxy, nothing confirmed is lost")
        func tcpReset() async throws {
            try await Self.proxiedScenario("TCP reset (proxy RST)", expected: "StreamLostError -> recover, republish unconfirmed") { _, proxy in
                await proxy.resetAll()
            } check: { side, events in
                #expect(events.first?.startError is StreamLostError, "\(side) recovery started with \(Self.kind(events.first?.startError))")
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
                #expect(started is AMQPHeartbeatTimeout, "\(side) recovery started with \(Self.kind(started))")
                #expect(events.compactMap(\.succeededAttempts).first != nil, "\(side): \(events)")
            }
            #expect(dropped.value >= 3 && dropped.value < 10, "dropped for \(dropped.value) s")
            print("silent drop: traffic dropped for \(String(format: "%.2f", dropped.value)) s")
        }
    }
}
