import AMQPProtocol
@testable import Hare
import NIOCore
import Testing

/// What `Channel.basicPublish` hands to the loop without waiting, and when it must wait instead.
@Suite("PublishHandoff")
struct PublishHandoffTests {
    func publish(_ key: String, bytes: Int = 16) -> PublishRequest {
        PublishRequest(
            exchange: "", routingKey: key, body: ByteBuffer(repeating: 0x61, count: bytes), properties: AMQP.BasicProperties(), mandatory: false
        )
    }

    @Test("the first publish after a take schedules one; the next ride it, and come out in order")
    func oneTakePerBatch() {
        let handoff = PublishHandoff()
        #expect(handoff.offer(publish("a")) == .queuedFirst)
        #expect(handoff.offer(publish("b")) == .queued)
        #expect(handoff.offer(publish("c")) == .queued)
        #expect(handoff.takeAll().map(\.routingKey) == ["a", "b", "c"])
        #expect(handoff.takeAll().isEmpty)
        #expect(handoff.offer(publish("d")) == .queuedFirst)
        #expect(handoff.takeAll().map(\.routingKey) == ["d"])
    }

    @Test("past 1 MiB handed over and not yet written, publishes wait until writes free room")
    func boundedBytes() {
        let handoff = PublishHandoff()
        let size = 600 * 1024
        #expect(handoff.offer(publish("a", bytes: size)) == .queuedFirst)
        #expect(handoff.offer(publish("b", bytes: size)) == .mustWait)
        #expect(handoff.offer(publish("small", bytes: 16)) == .queued)
        #expect(handoff.takeAll().map(\.routingKey) == ["a", "small"])
        // Taken is not written: the room comes back only with the writes.
        #expect(handoff.offer(publish("b", bytes: size)) == .mustWait)
        handoff.finished(size: size)
        handoff.finished(size: 16)
        #expect(handoff.offer(publish("b", bytes: size)) == .queuedFirst)
    }

    @Test("a body over the limit goes alone, when nothing else is unwritten")
    func oneLargeBody() {
        let handoff = PublishHandoff()
        #expect(handoff.offer(publish("large", bytes: 2 * PublishHandoff.limit)) == .queuedFirst)
        #expect(handoff.offer(publish("next")) == .mustWait)
        _ = handoff.takeAll()
        handoff.finished(size: 2 * PublishHandoff.limit)
        #expect(handoff.offer(publish("next")) == .queuedFirst)
    }

    @Test("in confirm mode every publish waits (for its sequence number)")
    func confirmModeWaits() {
        let handoff = PublishHandoff()
        #expect(handoff.offer(publish("before")) == .queuedFirst)
        handoff.enterConfirmMode()
        #expect(handoff.offer(publish("after")) == .mustWait)
        #expect(handoff.takeAll().map(\.routingKey) == ["before"])
    }
}
