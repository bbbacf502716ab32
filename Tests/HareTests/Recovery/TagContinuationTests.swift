import AMQPProtocol
import NIOCore
import Testing

@testable import Hare

@Suite("Recovery: a reopened channel continues its predecessor's tags")
struct TagContinuationTests {
    typealias F = MachineFixtures

    /// An open channel numbered after `offsets`, consuming as `c`, in confirm mode.
    static func continuing(_ offsets: TagOffsets) throws -> F.Channel {
        var machine = F.Channel(channelNumber: 1, continuing: offsets)
        _ = machine.open(0)
        _ = machine.received(.channelOpenOk(AMQP.Channel.OpenOk()))
        _ = machine.rpc(F.consume("c"), 1)
        _ = machine.received(.basicConsumeOk(AMQP.Basic.ConsumeOk(consumerTag: "c")))
        _ = machine.rpc(.confirmSelect(AMQP.Confirm.Select(nowait: false)), 2)
        _ = machine.received(.confirmSelectOk(AMQP.Confirm.SelectOk()))
        return machine
    }

    static func deliverTag(_ machine: inout F.Channel, wire: UInt64) throws -> UInt64 {
        _ = machine.received(F.deliver("c", deliveryTag: wire))
        _ = machine.received(F.header(1))
        let message = try #require(machine.received(body: F.bytes("x")).delivered)
        guard case .deliver(let deliver) = message.method else {
            Issue.record("not a delivery")
            return 0
        }
        return deliver.deliveryTag
    }

    @Test("a new channel's tags are the broker's")
    func freshChannel() throws {
        var machine = try Self.continuing(TagOffsets())
        #expect(try Self.deliverTag(&machine, wire: 1) == 1)
        #expect(machine.continuation == TagOffsets(delivery: 1, publish: 0))
        let ack = try machine.acknowledge(.basicAck(AMQP.Basic.Ack(deliveryTag: 1, multiple: false))).get()
        #expect(ack == .basicAck(AMQP.Basic.Ack(deliveryTag: 1, multiple: false)))
    }

    @Test("deliveries continue after the lost channel's last tag, and acks are translated back")
    func deliveriesContinue() throws {
        var machine = try Self.continuing(TagOffsets(delivery: 40, publish: 0))
        #expect(try Self.deliverTag(&machine, wire: 1) == 41)
        #expect(try Self.deliverTag(&machine, wire: 2) == 42)
        #expect(machine.continuation.delivery == 42)

        let ack = try machine.acknowledge(.basicAck(AMQP.Basic.Ack(deliveryTag: 42, multiple: true))).get()
        #expect(ack == .basicAck(AMQP.Basic.Ack(deliveryTag: 2, multiple: true)))
        let reject = try machine.acknowledge(.basicReject(AMQP.Basic.Reject(deliveryTag: 41, requeue: true))).get()
        #expect(reject == .basicReject(AMQP.Basic.Reject(deliveryTag: 1, requeue: true)))
        let nack = try machine.acknowledge(.basicNack(AMQP.Basic.Nack(deliveryTag: 41, multiple: false, requeue: false))).get()
        #expect(nack == .basicNack(AMQP.Basic.Nack(deliveryTag: 1, multiple: false, requeue: false)))
    }

    @Test("acks for the lost connection's deliveries are dropped, not sent")
    func staleAcksDropped() throws {
        var machine = try Self.continuing(TagOffsets(delivery: 40, publish: 0))
        #expect(try machine.acknowledge(.basicAck(AMQP.Basic.Ack(deliveryTag: 40, multiple: false))).get() == nil)
        #expect(try machine.acknowledge(.basicAck(AMQP.Basic.Ack(deliveryTag: 7, multiple: true))).get() == nil)
        #expect(try machine.acknowledge(.basicReject(AMQP.Basic.Reject(deliveryTag: 1, requeue: true))).get() == nil)
        #expect(try machine.acknowledge(.basicNack(AMQP.Basic.Nack(deliveryTag: 40, multiple: true, requeue: true))).get() == nil)
        // "Everything so far" stays everything so far.
        let all = try machine.acknowledge(.basicAck(AMQP.Basic.Ack(deliveryTag: 0, multiple: true))).get()
        #expect(all == .basicAck(AMQP.Basic.Ack(deliveryTag: 0, multiple: true)))
    }

    @Test("publish sequence numbers continue, and the broker's confirms are moved into them")
    func confirmsContinue() throws {
        var machine = try Self.continuing(TagOffsets(delivery: 0, publish: 100))
        #expect(machine.nextPublishSequenceNumber == 101)
        let first = try #require(try machine.publish(F.publish("a")))
        let second = try #require(try machine.publish(F.publish("b")))
        #expect(first.sequenceNumber == 101)
        #expect(second.sequenceNumber == 102)

        let one = try #require(machine.received(.basicAck(AMQP.Basic.Ack(deliveryTag: 1, multiple: false))).confirmEvent)
        #expect(one.deliveryTag == 101)
        #expect(one.resolvedTags == [101])
        let rest = try #require(machine.received(.basicNack(AMQP.Basic.Nack(deliveryTag: 2, multiple: true, requeue: false))).confirmEvent)
        #expect(rest.deliveryTag == 102)
        #expect(!rest.ack)
        #expect(rest.resolvedTags == [102])
        #expect(machine.continuation.publish == 102)
    }

    @Test("basic.get-ok tags continue too")
    func getOkContinues() throws {
        var machine = try Self.continuing(TagOffsets(delivery: 9, publish: 0))
        _ = machine.rpc(.basicGet(AMQP.Basic.Get(queue: "q", noAck: false)), 3)
        _ = machine.received(.basicGetOk(AMQP.Basic.GetOk(deliveryTag: 1, redelivered: false, exchange: "", routingKey: "q", messageCount: 0)))
        _ = machine.received(F.header(1))
        let got = try #require(machine.received(body: F.bytes("x")).succeeded)
        guard case .message(let message) = got.reply, case .getOk(let getOk) = message.method else {
            Issue.record("not a get-ok message: \(got.reply)")
            return
        }
        #expect(getOk.deliveryTag == 10)
        #expect(machine.continuation.delivery == 10)
    }

    @Test("a channel closed by the connection hands its continuation to the delegate's close")
    func continuationAtClose() throws {
        var machine = try Self.continuing(TagOffsets(delivery: 5, publish: 3))
        _ = try Self.deliverTag(&machine, wire: 1)
        _ = try machine.publish(F.publish("a"))
        guard case .closed(_, _, _, let unconfirmed, _, _) = machine.connectionClosed(StreamLostError(reason: "gone")) else {
            Issue.record("the channel did not close")
            return
        }
        #expect(unconfirmed == [4])
        #expect(machine.continuation == TagOffsets(delivery: 6, publish: 4))
    }
}
