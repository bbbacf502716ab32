import Hare
import Logging
import NIOConcurrencyHelpers
import Testing

/// The fault proxy itself, against the broker at 127.0.0.1:5672: it forwards, and each fault
/// does to a Hare connection what it is meant to.
extension Resilience {
    @Suite("TCP proxy")
    struct TCPProxyTests {
        static let logger = Logger(label: "hare.resilience.proxy") { _ in SwiftLogNoOpLogHandler() }

        static func parameters(port: Int, heartbeat: UInt16 = 0) -> ConnectionParameters {
            ConnectionParameters(
                host: "127.0.0.1", port: port, heartbeat: heartbeat, connectionAttempts: 1, socketTimeout: 3, stackTimeout: 5
            )
        }

        /// Connects through `proxy` with recovery off, so that a fault ends the connection.
        static func connect(through proxy: TCPProxy, heartbeat: UInt16 = 0) async throws -> Connection {
            try await Connection.connect(
                parameters(port: proxy.port, heartbeat: heartbeat), logger: logger, rpcTimeout: 5, recovery: .disabled
            )
        }

        /// What `connect` threw, or nil when it connected (the connection is then closed).
        static func connectError(through proxy: TCPProxy) async -> (any Error)? {
            do {
                let connection = try await connect(through: proxy)
                try? await connection.close()
                return nil
            } catch {
                return error
            }
        }

        @Test("a connection through the proxy works and closes cleanly")
        func forwards() async throws {
            try await TCPProxy.with { proxy in
                let connection = try await Self.connect(through: proxy)
                let channel = try await connection.channel()
                let queue = try await channel.queueDeclare(queue: "", exclusive: true)
                #expect(queue.queue.hasPrefix("amq.gen-"))
                try await connection.close()
                #expect(!connection.isOpen)
                #expect(proxy.acceptedConnections == 1)
                #expect(await FaultWait.until(seconds: 5) { proxy.activeConnections == 0 })
            }
        }

        @Test("resetAll ends an open connection with StreamLostError")
        func resetAllIsStreamLost() async throws {
            try await TCPProxy.with { proxy in
                let connection = try await Self.connect(through: proxy)
                _ = try await connection.channel()
                #expect(proxy.activeConnections == 1)
                await proxy.resetAll()
                let ending = await FaultWait.ending(of: connection, within: 5)
                let lost = try #require(ending as? StreamLostError, "ended with \(String(describing: ending))")
                #expect(lost.underlying != nil, "an RST is an I/O error, not a clean end of stream")
                #expect(!connection.isOpen)
                #expect(proxy.activeConnections == 0)
            }
        }

        @Test("dropSilently: the client notices by missed heartbeats")
        func dropSilentlyIsHeartbeatTimeout() async throws {
            try await TCPProxy.with { proxy in
                let connection = try await Self.connect(through: proxy, heartbeat: 1)
                #expect(connection.limits?.heartbeat == 1)
                await proxy.dropSilently()
                let ending = await FaultWait.ending(of: connection, within: 6)
                await proxy.resume()
                let timeout = try #require(ending as? AMQPHeartbeatTimeout, "ended with \(String(describing: ending))")
                #expect(timeout.interval == 1)
                #expect(!connection.isOpen)
            }
        }

        @Test("resume delivers what was held while dropping")
        func resumeDeliversHeldBytes() async throws {
            try await TCPProxy.with { proxy in
                let connection = try await Self.connect(through: proxy)
                let channel = try await connection.channel()
                await proxy.dropSilently()
                let answered = NIOLockedValueBox(false)
                let declare = Task {
                    defer { answered.withLockedValue { $0 = true } }
                    return try await channel.queueDeclare(queue: "", exclusive: true)
                }
                try await Task.sleep(for: .milliseconds(300))
                #expect(!answered.withLockedValue { $0 }, "queue.declare was answered through a black hole")
                #expect(connection.isOpen)
                await proxy.resume()
                let queue = try await declare.value
                #expect(queue.queue.hasPrefix("amq.gen-"))
                try await connection.close()
            }
        }

        @Test("refuseNew resets new connections; turning it off lets them through")
        func refuseNew() async throws {
            try await TCPProxy.with { proxy in
                proxy.refuseNew = true
                let refused = await Self.connectError(through: proxy)
                // The reset reaches the client as a failed write (StreamLostError) or, when its
                // header was already out, as the stream ending before connection.start.
                #expect(
                    refused is StreamLostError || refused is IncompatibleProtocolError,
                    "connect threw \(String(describing: refused))"
                )
                #expect(proxy.refusedConnections == 1)
                proxy.refuseNew = false
                let accepted = await Self.connectError(through: proxy)
                #expect(accepted == nil, "connect threw \(String(describing: accepted))")
                #expect(proxy.acceptedConnections == 2)
            }
        }

        /// The error Hare reports for a stream cut (reset) at each handshake step. A reset the
        /// client's write runs into is an I/O error: `StreamLostError`. One that arrives while
        /// it only reads reaches it from NIO as the stream's end, which after start-ok reads as
        /// refused credentials and after open as a refused vhost (Pika's mapping). Which one
        /// comes first is a race; recovery retries either way.
        static func expectedError(_ cut: TCPProxy.HandshakeCut, _ error: (any Error)?) -> Bool {
            switch cut {
            case .afterProtocolHeader: error is StreamLostError
            case .afterConnectionStart: error is StreamLostError || error is ProbableAuthenticationError
            case .afterConnectionTune: error is StreamLostError || error is ProbableAccessDeniedError
            }
        }

        @Test("a handshake cut at each step fails connect", arguments: TCPProxy.HandshakeCut.allCases)
        func handshakeCut(at cut: TCPProxy.HandshakeCut) async throws {
            try await TCPProxy.with { proxy in
                proxy.handshakeCut = cut
                let error = await Self.connectError(through: proxy)
                #expect(Self.expectedError(cut, error), "cut \(cut): connect threw \(String(describing: error))")
                #expect(proxy.cutConnections == 1)
                proxy.handshakeCut = nil
                let after = await Self.connectError(through: proxy)
                #expect(after == nil, "connect threw \(String(describing: after)) once the cut was off")
            }
        }
    }
}
