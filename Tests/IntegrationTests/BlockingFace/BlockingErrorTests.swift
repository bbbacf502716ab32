import Hare
import Testing
import HareTestSupport

extension Integration {
    /// Broker refusals through the blocking face.
    @Suite("Blocking face: errors")
    struct BlockingErrorTests {
        @Test("a passive declare of a missing queue throws ChannelClosedByBroker(404) and closes the channel, not the connection")
        func passiveDeclareOfMissingQueue() async throws {
            try await ErrorScenarios.passiveDeclareOfMissingQueue(BlockingFace.self)
        }

        @Test("an invalid exchange type closes the connection (503)")
        func invalidExchangeType() async throws {
            try await ErrorScenarios.invalidExchangeTypeClosesConnection(BlockingFace.self)
        }

        @Test("a wrong password makes BlockingConnection.init throw ProbableAuthenticationError")
        func wrongPassword() async throws { try await ErrorScenarios.wrongPassword(BlockingFace.self) }

        @Test("an unknown virtual host makes BlockingConnection.init throw ProbableAccessDeniedError")
        func unknownVirtualHost() async throws { try await ErrorScenarios.unknownVirtualHost(BlockingFace.self) }

        @Test("channel() on a closed connection throws ConnectionWrongStateError")
        func channelOnClosedConnection() async throws {
            let connection = try await BlockingFaceConnection.open(try Broker.parameters())
            _ = try await connection.close()
            await #expect(throws: ConnectionWrongStateError.self) {
                _ = try await connection.worker.run { [blocking = connection.connection] in try blocking.channel() }
            }
            await connection.shutdown()
        }
    }
}
