import AMQPProtocol
import NIOCore
import Testing

@testable import Hare

@Suite("Channel machine: publisher confirms")
struct ChannelConfirmTests {
    typealias F = MachineFixtures

    static func ack(_ tag: UInt64, multiple: Bool = false) -> AMQP.Method {
        .basicAck(AMQP.Basic.Ack(deliveryTag: tag, multiple: multiple))
    }

    static func nack(_ tag: UInt64, multiple: Bool = false) -> AMQP.Method {
        .basicNack(AMQP.Basic.Nack(deliveryTag: tag, multiple: multiple, requeue: false))
    }

    /// An open channel in confirm mode with `count` publishes sent (tags 1...count).
    static func confirming(published count: Int) throws -> F.Channel {
        var machine = F.openChannel()
        _ = machine.rpc(.confirmSelect(AMQP.Confirm.Select(nowait: false)), 1)
        _ = machine.received(.confirmSelectOk(AMQP.Confirm.SelectOk()))
        for index in 0..<count {
            let sent = try #require(try machine.publish(F.publish("m\(index)")))
            #expect(sent.sequenceNumber == UInt64(index + 1))
        }
        return machine
    }

    @Test("without confirm mode there are no sequence numbers")
    func noConfirmMode() throws {
        var machine = F.openChannel()
        #expect(machine.nextPublishSequenceNumber == nil)
        #expect(!machine.confirmMode)
        #expect(try #require(try machine.publish(F.publish("a"))).sequenceNumber == nil)
        #expect(machine.confirms.unconfirmedCount == 0)
    }

    @Test("publishes queued behind confirm.select are numbered from 1, in order")
    func numberingBehindSelect() throws {
        var machine = F.openChannel()
        #expect(machine.rpc(.confirmSelect(AMQP.Confirm.Select(nowait: false)), 1).sentMethod
            == .confirmSelect(AMQP.Confirm.Select(nowait: false)))
        #expect(machine.confirmMode)
        #expect(machine.nextPublishSequenceNumber == 1)
        #expect(try machine.publish(F.publish("a")) == nil)
        #expect(try machine.publish(F.publish("b")) == nil)
        #expect(machine.nextPublishSequenceNumber == 3)
        #expect(machine.nextOutbound() == nil)

        let done = try #require(machine.received(.confirmSelectOk(AMQP.Confirm.SelectOk())).succeeded)
        #expect(done.pending == 1)
        #expect(F.drain(&machine) == ["publish:a#1", "publish:b#2"])
        #expect(try #require(try machine.publish(F.publish("c"))).sequenceNumber == 3)
        #expect(Array(machine.confirms.unconfirmed) == [1, 2, 3])
    }

    @Test("publishes queued before confirm.select stay unnumbered; those after it are numbered")
    func numberingAroundSelect() throws {
        var machine = F.openChannel()
        _ = machine.rpc(F.queueDeclare("q"), 1)
        #expect(try machine.publish(F.publish("before")) == nil)
        #expect(machine.rpc(.confirmSelect(AMQP.Confirm.Select(nowait: false)), 2).isNone)
        #expect(try machine.publish(F.publish("after")) == nil)

        _ = try #require(machine.received(F.queueDeclareOk("q")).succeeded)
        #expect(F.drain(&machine) == ["publish:before", "method:confirm.select"])
        _ = try #require(machine.received(.confirmSelectOk(AMQP.Confirm.SelectOk())).succeeded)
        #expect(F.drain(&machine) == ["publish:after#1"])
    }

    @Test("a no-wait confirm.select turns confirm mode on at once")
    func noWaitSelect() throws {
        var machine = F.openChannel()
        let select = AMQP.Method.confirmSelect(AMQP.Confirm.Select(nowait: true))
        #expect(try machine.send(select).get().sentMethod == select)
        #expect(try #require(try machine.publish(F.publish("a"))).sequenceNumber == 1)
    }

    @Test("a single ack resolves its tag")
    func singleAck() throws {
        var machine = try Self.confirming(published: 3)
        let event = try #require(machine.received(Self.ack(1)).confirmEvent)
        #expect(event == ConfirmEvent(ack: true, deliveryTag: 1, multiple: false, resolvedTags: [1]))
        #expect(Array(machine.confirms.unconfirmed) == [2, 3])
    }

    @Test("a multiple ack resolves every tag up to it")
    func multipleAck() throws {
        var machine = try Self.confirming(published: 5)
        let event = try #require(machine.received(Self.ack(3, multiple: true)).confirmEvent)
        #expect(event == ConfirmEvent(ack: true, deliveryTag: 3, multiple: true, resolvedTags: [1, 2, 3]))
        #expect(Array(machine.confirms.unconfirmed) == [4, 5])
        let rest = try #require(machine.received(Self.ack(5, multiple: true)).confirmEvent)
        #expect(rest.resolvedTags == [4, 5])
        #expect(machine.confirms.unconfirmedCount == 0)
    }

    @Test("nacks, single and multiple, resolve tags as not acked")
    func nacks() throws {
        var machine = try Self.confirming(published: 4)
        let single = try #require(machine.received(Self.nack(2)).confirmEvent)
        #expect(single == ConfirmEvent(ack: false, deliveryTag: 2, multiple: false, resolvedTags: [2]))
        let multiple = try #require(machine.received(Self.nack(4, multiple: true)).confirmEvent)
        #expect(multiple == ConfirmEvent(ack: false, deliveryTag: 4, multiple: true, resolvedTags: [1, 3, 4]))
    }

    @Test("acks out of order resolve exactly their tags")
    func outOfOrder() throws {
        var machine = try Self.confirming(published: 4)
        #expect(try #require(machine.received(Self.ack(3)).confirmEvent).resolvedTags == [3])
        #expect(try #require(machine.received(Self.ack(2)).confirmEvent).resolvedTags == [2])
        #expect(Array(machine.confirms.unconfirmed) == [1, 4])
        #expect(try #require(machine.received(Self.ack(4, multiple: true)).confirmEvent).resolvedTags == [1, 4])
    }

    @Test("an ack for an unknown or already confirmed tag resolves nothing")
    func unknownTag() throws {
        var machine = try Self.confirming(published: 2)
        #expect(try #require(machine.received(Self.ack(9)).confirmEvent).resolvedTags.isEmpty)
        _ = machine.received(Self.ack(1))
        #expect(try #require(machine.received(Self.ack(1)).confirmEvent).resolvedTags.isEmpty)
        #expect(Array(machine.confirms.unconfirmed) == [2])
    }

    @Test("an ack on a channel not in confirm mode is a connection error 505")
    func ackWithoutConfirmMode() throws {
        var machine = F.openChannel()
        _ = try machine.publish(F.publish("a"))
        #expect(machine.received(Self.ack(1)).connectionErrorValues?.code == 505)
        var other = F.openChannel()
        #expect(other.received(Self.nack(1)).connectionErrorValues?.code == 505)
    }

    @Test("a broker close reports the unconfirmed tags")
    func unconfirmedAtClose() throws {
        var machine = try Self.confirming(published: 3)
        _ = machine.received(Self.ack(2))
        let closed = try #require(machine.received(F.channelClose(406, "PRECONDITION_FAILED")).closedValues)
        #expect(closed.unconfirmed == [1, 3])
    }
}
