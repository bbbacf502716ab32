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
            case .publish(let request, let number): request.routingKey + (number.map { " #\($0.number)" } ?? "")
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
        #expect(handoff.offer(publish("a")) == .queuedFirst())
        #expect(handoff.offer(publish("b")) == .queued())
        #expect(handoff.offer(publish("c")) == .queued())
        #expect(names(handoff.takeAll()) == ["a", "b", "c"])
        #expect(names(handoff.takeAll()).isEmpty)
        #expect(handoff.offer(publish("d")) == .queuedFirst())
        #expect(names(handoff.takeAll()) == ["d"])
    }

    @Test("the take is scheduled by the offer of the first item since the last take, and only by it")
    func takeScheduledOncePerBatch() {
        let handoff = LoopHandoff()
        var scheduled: [String] = []
        #expect(handoff.offer(publish("a"), scheduleTake: { scheduled.append("a") }) == .queuedFirst())
        #expect(handoff.offer(publish("b"), scheduleTake: { scheduled.append("b") }) == .queued())
        #expect(handoff.offer(acknowledgement: .basicAck(AMQP.Basic.Ack(deliveryTag: 1, multiple: false)), scheduleTake: {
            scheduled.append("ack")
        }) == .queued())
        #expect(scheduled == ["a"])
        _ = handoff.takeAll()
        #expect(handoff.offer(acknowledgement: .basicAck(AMQP.Basic.Ack(deliveryTag: 2, multiple: false)), scheduleTake: {
            scheduled.append("ack 2")
        }) == .queuedFirst())
        #expect(scheduled == ["a", "ack 2"])
    }

    @Test("past 1 MiB handed over and not yet written, publishes wait until writes free room")
    func boundedBytes() {
        let handoff = LoopHandoff()
        let size = 600 * 1024
        #expect(handoff.offer(publish("a", bytes: size)) == .queuedFirst())
        #expect(handoff.offer(publish("b", bytes: size)) == .mustWait)
        #expect(handoff.offer(publish("small", bytes: 16)) == .queued())
        #expect(names(handoff.takeAll()) == ["a", "small"])
        // Taken is not written: the room comes back only with the writes.
        #expect(handoff.offer(publish("b", bytes: size)) == .mustWait)
        handoff.finished(size: size)
        handoff.finished(size: 16)
        #expect(handoff.offer(publish("b", bytes: size)) == .queuedFirst())
    }

    @Test("a body over the limit goes alone, when nothing else is unwritten")
    func oneLargeBody() {
        let handoff = LoopHandoff()
        #expect(handoff.offer(publish("large", bytes: 2 * LoopHandoff.limit)) == .queuedFirst())
        #expect(handoff.offer(publish("next")) == .mustWait)
        _ = handoff.takeAll()
        handoff.finished(size: 2 * LoopHandoff.limit)
        #expect(handoff.offer(publish("next")) == .queuedFirst())
    }

    @Test("in confirm mode a publish waits until the loop starts numbering, then is numbered as it is handed over")
    func confirmModeNumbers() {
        let handoff = LoopHandoff()
        #expect(handoff.offer(publish("before")) == .queuedFirst())
        handoff.enterConfirmMode()
        #expect(handoff.offer(publish("after")) == .mustWait)
        handoff.startNumbering(at: 1)
        // Handed over before confirm mode and not yet taken, "before" goes out first: it gets
        // the first number.
        #expect(handoff.offer(publish("one")) == .queued(number: 2))
        #expect(handoff.offer(publish("two")) == .queued(number: 3))
        #expect(names(handoff.takeAll()) == ["before #1", "one #2", "two #3"])
        #expect(handoff.offer(publish("three")) == .queuedFirst(number: 4))
    }

    @Test("the loop numbers its own publish after taking what was handed over before it")
    func loopNumbersAfterTheHandedOver() {
        let handoff = LoopHandoff()
        handoff.enterConfirmMode()
        #expect(handoff.numberOnLoop(startingAt: nil) == nil, "not numbering yet, and nothing to start at")
        let first = handoff.numberOnLoop(startingAt: 7)
        #expect(first?.number.number == 7 && first?.before.isEmpty == true)
        #expect(handoff.offer(publish("a")) == .queuedFirst(number: 8))
        let second = handoff.numberOnLoop(startingAt: 100)
        #expect(second?.number.number == 9, "numbering goes on; the start only counts once")
        #expect(names(second?.before ?? []) == ["a #8"])
        #expect(names(handoff.takeAll()).isEmpty)
    }

    @Test("outside confirm mode nothing is numbered, on the loop either")
    func noNumbersOutsideConfirmMode() {
        let handoff = LoopHandoff()
        handoff.startNumbering(at: 1)
        #expect(handoff.numberOnLoop(startingAt: 1) == nil)
        #expect(handoff.offer(publish("a")) == .queuedFirst(number: nil))
        #expect(!handoff.inConfirmMode)
    }

    @Test("when the channel closes, numbering stops and what was numbered before is stale")
    func closeStopsNumbering() throws {
        let handoff = LoopHandoff()
        handoff.enterConfirmMode()
        handoff.startNumbering(at: 5)
        #expect(handoff.offer(publish("a")) == .queuedFirst(number: 5))
        let taken = handoff.takeAll()
        guard case .publish(_, let number?) = try #require(taken.first) else {
            Issue.record("not numbered: \(names(taken))")
            return
        }
        #expect(handoff.isCurrent(number))
        #expect(handoff.stopNumbering() == 6, "the next number it would have given")
        #expect(!handoff.isCurrent(number))
        #expect(handoff.stopNumbering() == nil)
        #expect(handoff.offer(publish("b")) == .mustWait, "confirm mode, not numbering: wait for the loop")
        handoff.startNumbering(at: 6)
        #expect(handoff.offer(publish("c")) == .queuedFirst(number: 6))
    }

    @Test("acknowledgements are handed over in confirm mode too, in order with publishes")
    func acknowledgements() {
        let handoff = LoopHandoff()
        #expect(handoff.offer(acknowledgement: .basicAck(AMQP.Basic.Ack(deliveryTag: 1, multiple: false))) == .queuedFirst())
        #expect(handoff.offer(publish("a")) == .queued())
        handoff.enterConfirmMode()
        #expect(handoff.offer(publish("b")) == .mustWait)
        #expect(handoff.offer(acknowledgement: .basicAck(AMQP.Basic.Ack(deliveryTag: 2, multiple: true))) == .queued())
        #expect(names(handoff.takeAll()) == ["ack 1", "a", "ack 2"])
    }
}
