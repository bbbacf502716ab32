import AMQPProtocol
import Foundation
import Hare
import HareTestSupport
import Testing

extension Resilience.NetworkFaults {
    /// Whether `error` (an attempt's, possibly a workflow of one) is what a handshake cut at
    /// `step` gives: the stream lost after the header. After start-ok Hare reads a lost stream
    /// as refused credentials, after connection.open as a refused vhost (Pika's mapping), unless
    /// it saw the reset as an I/O error: then it is a lost stream. Which of the two an RST gives
    /// depends on whether the client's read or its write (start-ok, tune-ok + open) meets the
    /// reset first (NIO reports a failed write by closing the channel, without errorCaught).
    static func isCutError(_ error: any Error, at step: TCPProxy.HandshakeCut) -> Bool {
        leafErrors(error).allSatisfy { leaf in
            switch step {
            case .afterProtocolHeader: leaf is StreamLostError
            case .afterConnectionStart: leaf is ProbableAuthenticationError || leaf is StreamLostError
            case .afterConnectionTune: leaf is ProbableAccessDeniedError || leaf is StreamLostError
            }
        }
    }

    @Test(
        "the handshake of the next 2 recovery attempts cut at one step: they fail (attemptFailed), the third succeeds, the connection works",
        arguments: TCPProxy.HandshakeCut.allCases
    )
    func handshakeCutDuringRecovery(at step: TCPProxy.HandshakeCut) async throws {
        let scenario = "handshake cut \(step) x2 during recovery"
        let expected = "attempts fail, then recover"
        try await ProxiedBroker.withProxy { proxy in
            let fixture = try await RecoveryFixture.open("cut-\(step)") { $0.host = "127.0.0.1"; $0.port = proxy.port }
            do {
                let channel = try await fixture.connection.channel()
                let numberBefore = channel.channelNumber
                let cutting = proxy.cutNextHandshakes(at: step, count: 2)
                await proxy.resetAll()
                try await cutting.value
                let events = try await expectRecovery(fixture.events, timeout: 30)

                #expect(events.first?.startError is StreamLostError, "started with \(FaultScenario.kind(events.first?.startError))")
                let failures = events.compactMap { event -> (attempt: Int, error: any Error, retryIn: Double?)? in
                    guard case .attemptFailed(let attempt, let error, let retryIn) = event else { return nil }
                    return (attempt, error, retryIn)
                }
                let failedAsCut = failures.allSatisfy { Self.isCutError($0.error, at: step) }
                #expect(failures.count == 2, "expected the 2 cut attempts to fail: \(events)")
                #expect(failures.map(\.attempt) == Array(1..<(failures.count + 1)), "attempt numbers: \(failures.map(\.attempt))")
                for failure in failures {
                    #expect(Self.isCutError(failure.error, at: step), "attempt \(failure.attempt) failed with \(failure.error)")
                    #expect(failure.retryIn != nil, "attempt \(failure.attempt) was reported as the last")
                }
                let attempts = events.compactMap(\.succeededAttempts).first
                #expect(attempts == failures.count + 1, "succeeded after \(String(describing: attempts)) attempt(s): \(events)")
                #expect(proxy.cutConnections == 2)
                #expect(fixture.connection.isOpen && !fixture.connection.isRecovering)

                // The channel came back with its number and works: declare, publish, get.
                #expect(channel.isOpen && channel.channelNumber == numberBefore)
                let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
                try await channel.basicPublish(exchange: "", routingKey: queue, body: "after the cuts")
                let message = try await withTimeout(10, "the message back from \(queue)") {
                    while true {
                        if let message = try await channel.basicGet(queue: queue, autoAck: true) { return message }
                        try await pause(0.05)
                    }
                }
                #expect(String(buffer: message.body) == "after the cuts")
                try await channel.queueDelete(queue: queue)
                let asExpected = failures.count == 2 && failedAsCut && attempts == 3 && proxy.cutConnections == 2
                FaultReport.print(
                    scenario, expected: expected,
                    result: (asExpected ? "" : "UNEXPECTED: ") + "\(failures.count) attempt(s) failed with \(failures.map { FaultScenario.kind(leafErrors($0.error).first) }.joined(separator: ", ")); "
                        + "recovered after \(attempts ?? 0); round trip OK"
                )
            } catch {
                FaultReport.print(scenario, expected: expected, result: "FAILED: \(error)")
                await fixture.close()
                throw error
            }
            await fixture.close()
        }
    }
}
