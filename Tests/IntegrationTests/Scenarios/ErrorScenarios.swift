import AMQPProtocol
import Hare
import Testing
import HareTestSupport

/// How broker refusals reach the application: channel errors, connection errors, and the
/// handshake's authentication and access errors.
enum ErrorScenarios {
    /// A passive declare of a missing queue: the broker closes the channel with 404; the call
    /// and the close callback both say so, and the connection lives on.
    static func passiveDeclareOfMissingQueue<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { connection, channel in
            let missing = Names.unique("hare-test-missing")
            var thrown: (any Error)?
            do {
                try await channel.queueDeclare(missing, passive: true)
            } catch {
                thrown = error
            }
            let failure = try #require(thrown as? ChannelClosedByBroker, "queue.declare failed with \(String(describing: thrown))")
            #expect(failure.replyCode == 404)
            #expect(failure.replyText.contains("NOT_FOUND"))
            let reason = try await channel.closeReason()
            let closed = try #require(reason as? ChannelClosedByBroker, "the channel closed with \(reason)")
            #expect(closed.replyCode == 404)
            #expect(closed.classID == AMQP.Queue.classID)
            #expect(!channel.isOpen)

            #expect(connection.isOpen)
            let other = try await connection.openChannel()
            let declared = try await other.queueDeclare("", exclusive: true)
            try await other.publish(to: declared.queue, "still works")
            let message = try await other.awaitMessage(declared.queue, autoAck: true)
            #expect(message.bodyString == "still works")
        }
    }

    /// exchange.declare with a type the broker does not know: the broker closes the whole
    /// connection with 503 COMMAND_INVALID, reported as ConnectionClosedByBroker.
    static func invalidExchangeTypeClosesConnection<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { connection, channel in
            await #expect(throws: (any Error).self) {
                try await channel.exchangeDeclare(Names.unique("hare-test-bad-type"), type: "hare-no-such-type")
            }
            let reason = try await connection.closeReason()
            let closed = try #require(reason as? ConnectionClosedByBroker, "the connection closed with \(reason)")
            #expect(closed.replyCode == 503)
            #expect(closed.classID == AMQP.Exchange.classID)
            #expect(!connection.isOpen)
            #expect(!channel.isOpen)
        }
    }

    /// A wrong password: opening fails with ProbableAuthenticationError.
    static func wrongPassword<Face: TestFace>(_: Face.Type) async throws {
        let username = try Broker.username
        let parameters = try Broker.parameters {
            $0.credentials = PlainCredentials(username: username, password: "not-the-password")
        }
        let error = await #expect(throws: ProbableAuthenticationError.self) {
            _ = try await Face.connect(parameters)
        }
        if let error {
            #expect(!"\(error)".contains("not-the-password"), "the error shows the password: \(error)")
        }
    }

    /// A virtual host that does not exist: opening fails with ProbableAccessDeniedError.
    static func unknownVirtualHost<Face: TestFace>(_: Face.Type) async throws {
        let parameters = try Broker.parameters { $0.virtualHost = Names.unique("hare-no-such-vhost") }
        await #expect(throws: ProbableAccessDeniedError.self) {
            _ = try await Face.connect(parameters)
        }
    }
}
