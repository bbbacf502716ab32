import Hare
import Testing
import HareTestSupport

extension Integration {
    /// Broker refusals through the callback face.
    @Suite("Callback face: errors")
    struct CallbackErrorTests {
        @Test("a passive declare of a missing queue closes the channel (404), not the connection")
        func passiveDeclareOfMissingQueue() async throws {
            try await ErrorScenarios.passiveDeclareOfMissingQueue(CallbackFace.self)
        }

        @Test("an invalid exchange type closes the connection (503)")
        func invalidExchangeType() async throws {
            try await ErrorScenarios.invalidExchangeTypeClosesConnection(CallbackFace.self)
        }

        @Test("a wrong password reaches onOpenError as ProbableAuthenticationError")
        func wrongPassword() async throws { try await ErrorScenarios.wrongPassword(CallbackFace.self) }

        @Test("an unknown virtual host reaches onOpenError as ProbableAccessDeniedError")
        func unknownVirtualHost() async throws { try await ErrorScenarios.unknownVirtualHost(CallbackFace.self) }

        @Test("a channel asked of a closed connection reaches onOpenError as ConnectionWrongStateError")
        func channelOnClosedConnection() async throws {
            let connection = try await CallbackConnection.open(try Broker.parameters())
            _ = try await connection.close()
            let error: any Error = try await awaitCallback("onOpenError of the channel") { done in
                connection.connection.channel(onOpen: { _ in
                    done(.failure(ScenarioFailure("a channel opened on a closed connection")))
                }, onOpenError: { error in done(.success(error)) })
            }
            #expect(error is ConnectionWrongStateError, "\(error)")
            await connection.shutdown()
        }
    }
}
