import AMQPProtocol
import Foundation
import Hare
import Logging
import Testing

/// Runs one hostile-server scenario against `FakeServer` and collects what happened: why the
/// connection ended, what the client sent back, whether the server saw the socket close, and how
/// much the process grew.
struct HostileOutcome {
    /// Why the connection ended (what `connect` threw, or what `closed()` returned); nil when it
    /// was still open at the end of the bound.
    var ending: (any Error)?
    /// What opening channel 1 threw (post-open scenarios only); nil when it opened.
    var channelError: (any Error)?
    /// `Connection.isOpen` at the end (false when `connect` threw).
    var isOpen: Bool
    /// Whether the fake server saw its socket close within the bound.
    var socketClosed: Bool
    /// The connection.close the client sent, if any.
    var clientClose: AMQP.Connection.Close?
    /// The names of the methods the client sent, in order.
    var methodNames: [String]
    /// The fake server's failed expectations.
    var scriptFailures: [String]
    /// How many connections the fake server accepted (1: the client did not come back).
    var connectionsAccepted: Int
    /// Resident memory after the scenario minus before it, in bytes.
    var residentGrowth: Int

    /// Checks what every scenario must end with: the connection closed, the socket closed, the
    /// script satisfied and memory bounded (`Hostile.memorySlack`).
    func expectClosedAndBounded(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(ending != nil, "the connection did not end within the bound", sourceLocation: sourceLocation)
        #expect(!isOpen, "the connection still says it is open", sourceLocation: sourceLocation)
        #expect(socketClosed, "the fake server did not see the socket close", sourceLocation: sourceLocation)
        #expect(scriptFailures.isEmpty, "the fake server's script: \(scriptFailures)", sourceLocation: sourceLocation)
        #expect(connectionsAccepted == 1, "the client connected \(connectionsAccepted) times", sourceLocation: sourceLocation)
        #expect(
            residentGrowth < Hostile.memorySlack,
            "resident memory grew by \(residentGrowth >> 20) MiB (bound \(Hostile.memorySlack >> 20) MiB)",
            sourceLocation: sourceLocation
        )
        let closed = ending != nil && !isOpen && socketClosed && scriptFailures.isEmpty && connectionsAccepted == 1
        let close = clientClose.map { "; the client sent close \($0.replyCode)" } ?? ""
        FaultReport.print(
            "hostile server: \(Test.current?.displayName ?? "scenario")",
            expected: "a typed error, the connection closed, RSS growth < \(Hostile.memorySlack >> 20) MiB",
            result: (closed && residentGrowth < Hostile.memorySlack ? "" : "UNEXPECTED: ")
                + "\(ending.map { "\(type(of: $0))" } ?? "no error")\(close); RSS +\(String(format: "%.1f", Double(residentGrowth) / 1_048_576)) MiB"
        )
    }
}

/// Shared settings and runners of the hostile-server scenarios.
enum Hostile {
    /// How much the resident set may grow in one scenario: 64 MiB.
    static let memorySlack = 64 << 20
    /// The bound of every wait in a scenario, in seconds.
    static let bound = 5.0

    static let logger = Logger(label: "hare.resilience.hostile") { _ in SwiftLogNoOpLogHandler() }

    /// One attempt at the fake server, no heartbeats, short timeouts.
    static func parameters(port: Int) -> ConnectionParameters {
        ConnectionParameters(
            host: "127.0.0.1", port: port, heartbeat: 0, connectionAttempts: 1, socketTimeout: 3, stackTimeout: bound
        )
    }

    /// A scenario whose fault comes after connection.open-ok: the script runs the handshake, then
    /// `hostile`. The test connects (recovery on, as by default), asks for channel 1 (the script
    /// usually answers channel.open with the fault), then waits for the connection to end, and
    /// then a little longer to see that the client does not come back.
    static func afterOpen(_ hostile: [FakeServer.Step]) async throws -> HostileOutcome {
        let baseline = try #require(ProcessMemory.residentBytes())
        return try await FakeServer.with(script: FakeServer.Step.handshake() + hostile) { fake in
            let connection = try await Connection.connect(parameters(port: fake.port), logger: logger, rpcTimeout: bound)
            var channelError: (any Error)?
            do {
                _ = try await connection.channel()
            } catch {
                channelError = error
            }
            let ending = await FaultWait.ending(of: connection, within: bound)
            return try await outcome(
                fake: fake, ending: ending, channelError: channelError, isOpen: connection.isOpen, baseline: baseline,
                reconnectWatch: .milliseconds(800)
            )
        }
    }

    /// A scenario whose fault comes during the handshake: `connect` is expected to throw.
    static func duringHandshake(_ script: [FakeServer.Step]) async throws -> HostileOutcome {
        let baseline = try #require(ProcessMemory.residentBytes())
        return try await FakeServer.with(script: script) { fake in
            var ending: (any Error)?
            var isOpen = false
            do {
                let connection = try await Connection.connect(parameters(port: fake.port), logger: logger, rpcTimeout: bound)
                isOpen = connection.isOpen
                Issue.record("connect succeeded against a hostile server")
                try? await connection.close()
            } catch {
                ending = error
            }
            return try await outcome(fake: fake, ending: ending, channelError: nil, isOpen: isOpen, baseline: baseline)
        }
    }


    private static func outcome(
        fake: FakeServer, ending: (any Error)?, channelError: (any Error)?, isOpen: Bool, baseline: Int,
        reconnectWatch: Duration = .zero
    ) async throws -> HostileOutcome {
        let session = try #require(await fake.firstSession(timeout: bound), "the client never connected")
        let socketClosed = await session.waitUntilClosed(timeout: bound)
        _ = await session.waitForScript(timeout: bound)
        // Recovery (on by default) must not treat a protocol violation as a loss to recover from:
        // its first attempt would come after 0.5 s (±20 %).
        try? await Task.sleep(for: reconnectWatch)
        let resident = try #require(ProcessMemory.residentBytes())
        return HostileOutcome(
            ending: ending, channelError: channelError, isOpen: isOpen, socketClosed: socketClosed,
            clientClose: session.connectionClose, methodNames: session.methodNames,
            scriptFailures: session.failures, connectionsAccepted: fake.sessions.count, residentGrowth: resident - baseline
        )
    }
}
