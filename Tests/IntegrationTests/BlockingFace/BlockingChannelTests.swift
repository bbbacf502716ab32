import Testing
import HareTestSupport

extension Integration {
    /// Every channel method through BlockingConnection / BlockingChannel.
    @Suite("Blocking face: channel methods")
    struct BlockingChannelTests {
        @Test("exchange.declare, passive declare, bind, unbind, delete")
        func exchanges() async throws { try await ChannelScenarios.exchanges(BlockingFace.self) }

        @Test("queue.declare (named, server-named, passive), bind, unbind, purge, delete")
        func queues() async throws { try await ChannelScenarios.queues(BlockingFace.self) }

        @Test("basic.get with a message and on an empty queue, basic.ack")
        func getAndAck() async throws { try await ChannelScenarios.getAndAck(BlockingFace.self) }

        @Test("basic.consume delivers in order, multiple ack, basic.cancel")
        func consumeAndCancel() async throws { try await ChannelScenarios.consumeAndCancel(BlockingFace.self) }

        @Test("basic.qos limits unacknowledged deliveries")
        func qos() async throws { try await ChannelScenarios.qos(BlockingFace.self) }

        @Test("basic.nack and basic.reject, requeue or not, nack multiple")
        func nackAndReject() async throws { try await ChannelScenarios.nackAndReject(BlockingFace.self) }

        @Test("basic.recover redelivers unacknowledged messages")
        func recover() async throws { try await ChannelScenarios.recover(BlockingFace.self) }

        @Test("tx.select, tx.rollback, tx.commit")
        func transactions() async throws { try await ChannelScenarios.transactions(BlockingFace.self) }

        @Test("channel.flow(active: true)")
        func flow() async throws { try await ChannelScenarios.flow(BlockingFace.self) }

        @Test("channel.close, then a publish throws ChannelWrongStateError")
        func closeThenPublish() async throws { try await ChannelScenarios.closeThenPublish(BlockingFace.self) }
    }
}
