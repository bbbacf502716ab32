import Hare
import Testing
import HareTestSupport

extension Integration {
    /// Broker refusals through the async face.
    @Suite("Async face: errors")
    struct AsyncErrorTests {
        @Test("a passive declare of a missing queue closes the channel (404), not the connection")
        func passiveDeclareOfMissingQueue() async throws {
            try await ErrorScenarios.passiveDeclareOfMissingQueue(AsyncFace.self)
        }

        @Test("an invalid exchange type closes the connection (503)")
        func invalidExchangeType() async throws {
            try await ErrorScenarios.invalidExchangeTypeClosesConnection(AsyncFace.self)
        }

        @Test("a wrong password makes connect throw ProbableAuthenticationError")
        func wrongPassword() async throws { try await ErrorScenarios.wrongPassword(AsyncFace.self) }

        @Test("an unknown virtual host makes connect throw ProbableAccessDeniedError")
        func unknownVirtualHost() async throws { try await ErrorScenarios.unknownVirtualHost(AsyncFace.self) }

        @Test("channel() on a closed connection throws ConnectionWrongStateError")
        func channelOnClosedConnection() async throws {
            let connection = try await AsyncConnection.open(try Broker.parameters())
            _ = try await connection.close()
            await #expect(throws: ConnectionWrongStateError.self) {
                _ = try await withTimeout(10, "channel()") { try await connection.connection.channel() }
            }
            await connection.shutdown()
        }
    }
}
