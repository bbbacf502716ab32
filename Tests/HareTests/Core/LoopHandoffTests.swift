import AMQPProtocol
@testable import Hare
import NIOCore
import Testing

/// What `basicPublish` and the acknowledgements hand to the loop without waiting, and when a
/// publish must wait instead.
@Suite("LoopHandoff")
struct LoopHandoffTests {
    /// What was taken, by routing key (publishes) or delivery tag (acks).
    func names(_ items: [LoopHandoff.Item]) -> [String] {
        items.map { item in
            switch item {
            case .publish(let request): request.routingKey
            case .acknowledge(.basicAck(let ack)): "ack \(ack.deliveryTag)"
            case .acknowledge(let method): method.name
            }
        }
    }

    func publish(_ key: String, bytes: Int = 16) -> PublishRequest {
        PublishRequest(
            exchange: "", routingKey: key, body: ByteBuffer(repeating: 0x61, count: bytes), properties: AMQP.BasicProperties(), mandatory: false
        )
    }

    @Test("the first publish after a take schedules one; the next ride it, and come out in order")
    func oneTakePerBatch() {
        let handoff = LoopHandoff()
        #expect(handoff.offer(publish("a")) == .queuedFirst)
        #expect(handoff.offer(publish("b")) == .queued)
        #expect(handoff.offer(publish("c")) == .queued)
        #expect(names(handoff.takeAll()) == ["a", "b", "c"])
        #expect(names(handoff.takeAll()).isEmpty)
        #expect(handoff.offer(publish("d")) == .queuedFirst)
        #expect(names(handoff.takeAll()) == ["d"])
    }

    @Test("the take is scheduled by the offer of the first item since the last take, and only by it")
    func takeScheduledOncePerBatch() {
        let handoff = LoopHandoff()
        var scheduled: [String] = []
        #expect(handoff.offer(publish("a"), scheduleTake: { scheduled.append("a") }) == .queuedFirst)
        #expect(handoff.offer(publish("b"), scheduleTake: { scheduled.append("b") }) == .queued)
        #expect(handoff.offer(acknowledgement: .basicAck(AMQP.Basic.Ack(deliveryTag: 1, multiple: false)), scheduleTake: {
            scheduled.append("ack")
        }) == .queued)
        #expect(scheduled == ["a"])
        _ = handoff.takeAll()
        #expect(handoff.offer(acknowledgement: .basicAck(AMQP.Basic.Ack(deliveryTag: 2, multiple: false)), scheduleTake: {
            scheduled.append("ack 2")
        }) == .queuedFirst)
        #expect(scheduled == ["a", "ack 2"])
    }

    @Test("past 1 MiB handed over and not yet written, publishes wait until writes free room")
    func boundedBytes() {
        let handoff = LoopHandoff()
        let size = 600 * 1024
        #expect(handoff.offer(publish("a", bytes: size)) == .queuedFirst)
        #expect(handoff.offer(publish("b", bytes: size)) == .mustWait)
        #expect(handoff.offer(publish("small", bytes: 16)) == .queued)
        #expect(names(handoff.takeAll()) == ["a", "small"])
        // Taken is not written: the room comes back only with the writes.
        #expect(handoff.offer(publish("b", bytes: size)) == .mustWait)
        handoff.finished(size: size)
        handoff.finished(size: 16)
        #expect(handoff.offer(publish("b", bytes: size)) == .queuedFirst)
    }

    @Test("a body over the limit goes alone, when nothing else is unwritten")
    func oneLargeBody() {
        let handoff = LoopHandoff()
        #expect(handoff.offer(publish("large", bytes: 2 * LoopHandoff.limit)) == .queuedFirst)
        #expect(handoff.offer(publish("next")) == .mustWait)
        _ = handoff.takeAll()
        handoff.finished(size: 2 * LoopHandoff.limit)
        #expect(handoff.offer(publish("next")) == .queuedFirst)
    }

    @Test("in confirm mode every publish waits (for its sequence number)")
    func confirmModeWaits() {
        let handoff = LoopHandoff()
        #expect(handoff.offer(publish("before")) == .queuedFirst)
        handoff.enterConfirmMode()
        #expect(handoff.offer(publish("after")) == .mustWait)
        #expect(names(handoff.takeAll()) == ["before"])
    }

    @Test("acknowledgements are handed over in confirm mode too, in order with publishes")
    func acknowledgements() {
        let handoff = LoopHandoff()
        #expect(handoff.offer(acknowledgement: .basicAck(AMQP.Basic.Ack(deliveryTag: 1, multiple: false))) == .queuedFirst)
        #expect(handoff.offer(publish("a")) == .queued)
        handoff.enterConfirmMode()
        #expect(handoff.offer(publish("b")) == .mustWait)
        #expect(handoff.offer(acknowledgement: .basicAck(AMQP.Basic.Ack(deliveryTag: 2, multiple: true))) == .queued)
        #expect(names(handoff.takeAll()) == ["ack 1", "a", "ack 2"])
    }
}
