import AMQPProtocol
import NIOCore
import Testing

@testable import Hare

/// `ChannelStateMachine.receivedDelivery`: a delivery whose three frames came in one read
/// goes where its frames, given one by one, send it (with the same numbered tag), and is taken
/// whole only when that is so.
@Suite("Channel machine: whole deliveries")
struct WholeDeliveryMachineTests {
    typealias F = MachineFixtures

    /// An open channel that continues a predecessor's tags, with consumer `c` (manual acks)
    /// and a no-wait cancelled consumer `gone` (auto-ack) whose deliveries may still come.
    static func machine() throws -> F.Channel {
        var machine = F.Channel(channelNumber: 1, continuing: TagOffsets(delivery: 100, publish: 0))
        _ = machine.open(0)
        _ = machine.received(.channelOpenOk(AMQP.Channel.OpenOk()))
        for (tag, noAck) in [("c", false), ("gone", true)] {
            _ = machine.rpc(F.consume(tag, noAck: noAck), 1)
            _ = machine.received(.basicConsumeOk(AMQP.Basic.ConsumeOk(consumerTag: tag)))
        }
        _ = try machine.send(.basicCancel(AMQP.Basic.Cancel(consumerTag: "gone", noWait: true))).get()
        #expect(machine.retiredConsumers["gone"] == true)
        return machine
    }

    @Test("a whole delivery gives what its frames give one by one", arguments: ["c", "gone", "unknown"], [0, 5])
    func sameAsFrames(consumerTag: String, bodySize: Int) throws {
        let body = ByteBuffer(repeating: 7, count: bodySize)
        let deliver = AMQP.Basic.Deliver(consumerTag: consumerTag, deliveryTag: 3, redelivered: true, exchange: "x", routingKey: "k")
        let header = F.header(UInt64(bodySize))

        var byFrames = try Self.machine()
        #expect(byFrames.received(.basicDeliver(deliver)).isNone)
        var last = byFrames.received(header)
        if bodySize > 0 {
            #expect(last.isNone)
            last = byFrames.received(body: body)
        }
        var whole = try Self.machine()
        #expect(whole.takesWholeDeliveries)
        var numbered = deliver
        let recipient = whole.receivedDelivery(&numbered)

        let expected = try #require(last.delivered ?? last.unexpectedDelivery)
        if last.delivered != nil {
            #expect(recipient == .consumer)
        } else {
            #expect(recipient == .noConsumer(autoAck: try #require(last.unexpectedDeliveryAutoAck)))
        }
        #expect(expected.deliver == numbered)
        #expect(numbered.deliveryTag == 103)
        #expect(whole.continuation == byFrames.continuation)
        #expect(whole.takesWholeDeliveries)
    }

    @Test("not taken whole while a message is half received, or once the channel closes")
    func notTakenWhole() throws {
        var assembling = try Self.machine()
        _ = assembling.received(F.deliver("c"))
        #expect(!assembling.takesWholeDeliveries)
        _ = assembling.received(F.header(0))
        #expect(assembling.takesWholeDeliveries)

        var closing = try Self.machine()
        _ = closing.close(replyCode: 200, replyText: "bye", 9)
        #expect(!closing.takesWholeDeliveries)
        _ = closing.received(.channelCloseOk(AMQP.Channel.CloseOk()))
        #expect(!closing.takesWholeDeliveries)
    }
}
