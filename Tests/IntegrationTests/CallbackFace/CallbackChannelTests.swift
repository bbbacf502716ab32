import Testing
import HareTestSupport

extension Integration {
    /// Every channel method through SelectConnection / SelectChannel.
    @Suite("Callback face: channel methods")
    struct CallbackChannelTests {
        @Test("exchange.declare, passive declare, bind, unbind, delete")
        func exchanges() async throws { try await ChannelScenarios.exchanges(CallbackFace.self) }

        @Test("queue.declare (named, server-named, passive), bind, unbind, purge, delete")
        func queues() async throws { try await ChannelScenarios.queues(CallbackFace.self) }

        @Test("basic.get with a message and on an empty queue, basic.ack")
        func getAndAck() async throws { try await ChannelScenarios.getAndAck(CallbackFace.self) }

        @Test("basic.consume delivers in order, multiple ack, basic.cancel")
        func consumeAndCancel() async throws { try await ChannelScenarios.consumeAndCancel(CallbackFace.self) }

        @Test("basic.qos limits unacknowledged deliveries")
        func qos() async throws { try await ChannelScenarios.qos(CallbackFace.self) }

        @Test("basic.nack and basic.reject, requeue or not, nack multiple")
        func nackAndReject() async throws { try await ChannelScenarios.nackAndReject(CallbackFace.self) }

        @Test("basic.recover redelivers unacknowledged messages")
        func recover() async throws { try await ChannelScenarios.recover(CallbackFace.self) }

        @Test("tx.select, tx.rollback, tx.commit")
        func transactions() async throws { try await ChannelScenarios.transactions(CallbackFace.self) }

        @Test("channel.flow(active: true)")
        func flow() async throws { try await ChannelScenarios.flow(CallbackFace.self) }

        @Test("channel.close, then a publish throws ChannelWrongStateError")
        func closeThenPublish() async throws { try await ChannelScenarios.closeThenPublish(CallbackFace.self) }
    }
}
