import Foundation
import Hare
import HareTestSupport
import Testing

/// The run every confirmed-workload fault scenario shares: start the workload, inject the fault
/// once enough messages are confirmed, check that both sides recovered (`check` sees each side's
/// events, `started` to `succeeded`) and that every confirmed message was consumed, and print
/// the scenario's FAULT-REPORT line either way.
enum FaultScenario {
    static func run(
        _ name: String, expected: String, total: Int = 2000, confirmsBeforeFault: Int = 300,
        parameters: @escaping (String) throws -> ConnectionParameters,
        fault: (ConfirmedWorkload) async throws -> Void,
        check: (_ side: String, _ events: [RecoveryEvent]) -> Void = { _, _ in },
        afterwards: (ConfirmedWorkload) -> Void = { _ in },
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let workload = try await ConfirmedWorkload(name: name, total: total, parameters: parameters)
        let consuming = try await workload.startConsuming()
        let publishing = Task { try await workload.publishAll() }
        do {
            try await waitUntil("\(confirmsBeforeFault) confirms before the fault") {
                workload.confirmed.value.count >= confirmsBeforeFault
            }
            let before = workload.confirmed.value.count
            try await fault(workload)
            let publisherRecovery = try await expectRecovery(workload.publisherEvents)
            let consumerRecovery = try await expectRecovery(workload.consumerEvents)
            check("publisher", publisherRecovery)
            check("consumer", consumerRecovery)
            try await withTimeout(90, "the workload to publish everything") { try await publishing.value }
            let report = try await workload.settle()
            #expect(report.confirmed == total, "not every message was confirmed: \(report)", sourceLocation: sourceLocation)
            #expect(report.lost == 0, "confirmed messages were lost: \(report)", sourceLocation: sourceLocation)
            #expect(workload.publisher.isOpen && workload.consumer.isOpen, sourceLocation: sourceLocation)
            afterwards(workload)
            let attempts = publisherRecovery.compactMap(\.succeededAttempts).first ?? 0
            FaultReport.print(
                name, expected: expected,
                result: report.lost == 0 && report.confirmed == total
                    ? "recovered (fault after \(before) confirms; publisher after \(attempts) attempt(s), "
                        + "started by \(kind(publisherRecovery.first?.startError)); "
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

    /// An error's type name, for reports.
    static func kind(_ error: (any Error)?) -> String {
        error.map { "\(type(of: $0))" } ?? "nothing"
    }
}
