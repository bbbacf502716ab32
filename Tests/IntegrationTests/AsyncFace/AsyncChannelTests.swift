import Testing
import HareTestSupport

extension Integration {
    /// Every channel method through Connection / Channel.
    @Suite("Async face: channel methods")
    struct AsyncChannelTests {
        @Test("exchange.declare, passive declare, bind, unbind, delete")
        func exchanges() async throws { try await ChannelScenarios.exchanges(AsyncFace.self) }

        @Test("queue.declare (named, server-named, passive), bind, unbind, purge, delete")
        func queues() async throws { try await ChannelScenarios.queues(AsyncFace.self) }

        @Test("basic.get with a message and on an empty queue, basic.ack")
        func getAndAck() async throws { try await ChannelScenarios.getAndAck(AsyncFace.self) }

        @Test("basic.consume delivers in order, multiple ack, basic.cancel")
        func consumeAndCancel() async throws { try await ChannelScenarios.consumeAndCancel(AsyncFace.self) }

        @Test("basic.qos limits unacknowledged deliveries")
        func qos() async throws { try await ChannelScenarios.qos(AsyncFace.self) }

        @Test("basic.nack and basic.reject, requeue or not, nack multiple")
        func nackAndReject() async throws { try await ChannelScenarios.nackAndReject(AsyncFace.self) }

        @Test("basic.recover redelivers unacknowledged messages")
        func recover() async throws { try await ChannelScenarios.recover(AsyncFace.self) }

        @Test("tx.select, tx.rollback, tx.commit")
        func transactions() async throws { try await ChannelScenarios.transactions(AsyncFace.self) }

        @Test("channel.flow(active: true)")
        func flow() async throws { try await ChannelScenarios.flow(AsyncFace.self) }

        @Test("channel.close, then a publish throws ChannelWrongStateError")
        func closeThenPublish() async throws { try await ChannelScenarios.closeThenPublish(AsyncFace.self) }
    }
}
