import AMQPProtocol
import Hare
import Testing
import HareTestSupport

extension Integration {
    /// What only the callback face has: update-secret with its callback, and the no-wait
    /// variants whose success is silent and whose failure closes the channel.
    @Suite("Callback face: update-secret and no-wait methods")
    struct CallbackConnectionTests {
        @Test("updateSecret reaches the broker and its callback receives update-secret-ok")
        func updateSecret() async throws {
            let connection = try await CallbackConnection.open(try Broker.parameters())
            let password = (try Broker.parameters().credentials as? PlainCredentials)?.password ?? "guest"
            let result: AMQP.Connection.UpdateSecretOk = try await awaitCallback("update-secret-ok") { done in
                connection.connection.updateSecret(password, reason: "rotation test") { done($0) }
            }
            #expect(result == AMQP.Connection.UpdateSecretOk())
            #expect(connection.isOpen)
            await connection.shutdown()
        }

        @Test("no-wait declare and bind go out in order and work, with no reply waited for")
        func noWaitDeclareAndBind() async throws {
            try await CallbackFace.withChannel { _, channel in
                let exchange = Names.unique("hare-test-nowait-x")
                let queue = Names.unique("hare-test-nowait-q")
                let select = channel.channel
                select.exchangeDeclare(exchange: exchange, exchangeType: "fanout", autoDelete: true, noWait: true)
                select.queueDeclare(queue: queue, exclusive: true, noWait: true)
                select.queueBind(queue: queue, exchange: exchange, routingKey: "", noWait: true)
                // A synchronous call after them completes only once they were processed.
                let declared: AMQP.Queue.DeclareOk = try await awaitCallback("a passive declare after the no-wait calls") { done in
                    select.queueDeclare(queue: queue, passive: true, callback: done)
                }
                #expect(declared.queue == queue)
                _ = try await channel.publish([OutgoingMessage(exchange: exchange, routingKey: "any", body: .init(string: "fanned out"))])
                let message = try await channel.awaitMessage(queue, autoAck: true)
                #expect(message.bodyString == "fanned out")
                #expect(message.exchange == exchange)
                _ = try await channel.queueDelete(queue, ifUnused: false, ifEmpty: false)
                try await channel.exchangeDelete(exchange, ifUnused: false)
            }
        }

        @Test("a failing no-wait method closes the channel: its close callback gets ChannelClosedByBroker(404)")
        func noWaitFailure() async throws {
            try await CallbackFace.withChannel { connection, channel in
                channel.channel.queueDeclare(queue: Names.unique("hare-test-missing"), passive: true, noWait: true)
                let closed = try await channel.closes.next(timeout: 10)
                let byBroker = try #require(closed as? ChannelClosedByBroker, "closed with \(closed)")
                #expect(byBroker.replyCode == 404)
                #expect(connection.isOpen)
            }
        }
    }
}
