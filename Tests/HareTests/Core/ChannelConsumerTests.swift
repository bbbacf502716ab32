import AMQPProtocol
import NIOCore
import Testing

@testable import Hare

@Suite("Channel machine: consumers, deliveries, returns and flow")
struct ChannelConsumerTests {
    typealias F = MachineFixtures

    /// An open channel with consumer `tag` registered and its consume-ok received.
    static func consuming(_ tag: String, noAck: Bool = false) throws -> F.Channel {
        var machine = F.openChannel()
        #expect(machine.rpc(F.consume(tag, noAck: noAck), 1).sentMethod == F.consume(tag, noAck: noAck))
        let done = try #require(machine.received(.basicConsumeOk(AMQP.Basic.ConsumeOk(consumerTag: tag))).succeeded)
        #expect(done.pending == 1)
        return machine
    }

    @Test("basic.consume registers the consumer; its deliveries are assembled and delivered")
    func deliver() throws {
        var machine = try Self.consuming("ctag-1", noAck: true)
        #expect(machine.consumers == ["ctag-1": true])
        #expect(machine.received(F.deliver("ctag-1", deliveryTag: 7)).isNone)
        var header = F.header(11)
        header.properties.headers = ["x": .int32(1)]
        #expect(machine.received(header).isNone)
        #expect(machine.received(body: F.bytes("hello ")).isNone)
        let message = try #require(machine.received(body: F.bytes("world")).delivered)
        let deliver = try #require(message.deliver)
        #expect(deliver.consumerTag == "ctag-1")
        #expect(deliver.deliveryTag == 7)
        #expect(deliver.routingKey == "q")
        #expect(message.properties.contentType == "text/plain")
        #expect(message.properties.headers?["x"] == .int32(1))
        #expect(message.bodyString == "hello world")
    }

    @Test("a delivery with an empty body is delivered at its header")
    func deliverEmptyBody() throws {
        var machine = try Self.consuming("c")
        _ = machine.received(F.deliver("c"))
        let message = try #require(machine.received(F.header(0)).delivered)
        #expect(message.body.readableBytes == 0)
    }

    @Test("deliveries back to back are each delivered")
    func deliveriesBackToBack() throws {
        var machine = try Self.consuming("c")
        for tag in UInt64(1)...3 {
            _ = machine.received(F.deliver("c", deliveryTag: tag))
            _ = machine.received(F.header(1))
            let message = try #require(machine.received(body: F.bytes("\(tag)")).delivered)
            #expect(message.deliver?.deliveryTag == tag)
            #expect(message.bodyString == "\(tag)")
        }
    }

    @Test("a delivery for an unknown consumer tag is reported as unexpected")
    func unknownConsumer() throws {
        var machine = try Self.consuming("known")
        _ = machine.received(F.deliver("other", deliveryTag: 3))
        _ = machine.received(F.header(1))
        let message = try #require(machine.received(body: F.bytes("x")).unexpectedDelivery)
        #expect(message.deliver?.consumerTag == "other")
        #expect(message.deliver?.deliveryTag == 3)
    }

    @Test("a consumer tag already in use is refused and nothing is sent")
    func duplicateTag() throws {
        var machine = try Self.consuming("dup")
        let failed = try #require(machine.rpc(F.consume("dup"), 2).failed)
        #expect(failed.pending == 2)
        #expect(failed.error as? DuplicateConsumerTag == DuplicateConsumerTag(consumerTag: "dup"))
        #expect(machine.nextOutbound() == nil)
        // The first consumer is untouched.
        #expect(machine.consumers == ["dup": false])
        _ = machine.received(F.deliver("dup"))
        #expect(machine.received(F.header(0)).delivered != nil)
    }

    @Test("a consumer tag is taken as soon as the consume is asked for, even when queued")
    func duplicateTagQueued() throws {
        var machine = F.openChannel()
        _ = machine.rpc(F.queueDeclare("q"), 1)
        #expect(machine.rpc(F.consume("t"), 2).isNone)
        #expect(machine.rpc(F.consume("t"), 3).failed?.error is DuplicateConsumerTag)
    }

    /// A consume with an empty tag asks the broker to choose one; consume-ok carries it and
    /// deliveries use it.
    @Test("a broker-chosen consumer tag (empty tag in basic.consume) is tracked from consume-ok")
    func serverGeneratedTag() throws {
        var machine = F.openChannel()
        _ = machine.rpc(F.consume(""), 1)
        _ = try #require(machine.received(.basicConsumeOk(AMQP.Basic.ConsumeOk(consumerTag: "amq.ctag-XYZ"))).succeeded)
        _ = machine.received(F.deliver("amq.ctag-XYZ"))
        let action = machine.received(F.header(0))
        #expect(action.delivered?.deliver?.consumerTag == "amq.ctag-XYZ", "got \(action.name)")
    }

    @Test("the broker cancelling a consumer asks for cancel-ok and forgets the consumer")
    func brokerCancel() throws {
        var machine = try Self.consuming("c")
        let cancelled = try #require(machine.received(.basicCancel(AMQP.Basic.Cancel(consumerTag: "c", noWait: false))).consumerCancelled)
        #expect(cancelled.consumerTag == "c")
        #expect(cancelled.sendCancelOk)
        #expect(machine.consumers.isEmpty)
        _ = machine.received(F.deliver("c"))
        #expect(machine.received(F.header(0)).unexpectedDelivery != nil)
    }

    @Test("a consumer cancelled after deliveries no longer gets them (the last tag is not trusted)")
    func cancelAfterDeliveries() throws {
        var machine = try Self.consuming("c")
        for tag in UInt64(1)...2 {
            _ = machine.received(F.deliver("c", deliveryTag: tag))
            #expect(machine.received(F.header(0)).delivered != nil)
        }
        _ = machine.received(.basicCancel(AMQP.Basic.Cancel(consumerTag: "c", noWait: true)))
        _ = machine.received(F.deliver("c", deliveryTag: 3))
        #expect(machine.received(F.header(0)).unexpectedDelivery != nil)
    }

    @Test("the broker cancelling with nowait needs no cancel-ok")
    func brokerCancelNoWait() throws {
        var machine = try Self.consuming("c")
        let cancelled = try #require(machine.received(.basicCancel(AMQP.Basic.Cancel(consumerTag: "c", noWait: true))).consumerCancelled)
        #expect(cancelled.consumerTag == "c")
        #expect(!cancelled.sendCancelOk)
        #expect(machine.consumers.isEmpty)
    }

    @Test("a client cancel keeps delivering until cancel-ok, which forgets the consumer")
    func clientCancel() throws {
        var machine = try Self.consuming("c")
        let cancel = AMQP.Method.basicCancel(AMQP.Basic.Cancel(consumerTag: "c"))
        #expect(machine.rpc(cancel, 2).sentMethod == cancel)
        _ = machine.received(F.deliver("c", deliveryTag: 9))
        #expect(machine.received(F.header(0)).delivered?.deliver?.deliveryTag == 9)

        let done = try #require(machine.received(.basicCancelOk(AMQP.Basic.CancelOk(consumerTag: "c"))).succeeded)
        #expect(done.pending == 2)
        #expect(machine.consumers.isEmpty)
        _ = machine.received(F.deliver("c", deliveryTag: 10))
        let late = machine.received(F.header(0))
        #expect(late.unexpectedDelivery != nil)
        // After cancel-ok nothing is remembered of the consumer.
        #expect(late.unexpectedDeliveryAutoAck == .some(nil))
    }

    @Test("a no-wait cancel remembers the consumer's ack mode for deliveries already on their way")
    func noWaitCancelRetires() throws {
        var machine = try Self.consuming("c")
        _ = try machine.send(.basicCancel(AMQP.Basic.Cancel(consumerTag: "c", noWait: true))).get()
        #expect(machine.consumers.isEmpty)
        #expect(machine.retiredConsumers["c"] == false)
        _ = machine.received(F.deliver("c", deliveryTag: 10))
        // Acked manually: the late message is to be requeued.
        #expect(machine.received(F.header(0)).unexpectedDeliveryAutoAck == .some(false))
    }

    @Test("a late delivery for a never-known consumer carries no ack mode")
    func unknownConsumerDelivery() throws {
        var machine = F.openChannel()
        _ = machine.received(F.deliver("stranger"))
        #expect(machine.received(F.header(0)).unexpectedDeliveryAutoAck == .some(nil))
    }

    @Test("a no-wait consume with a tag in use is refused")
    func duplicateNoWaitConsume() throws {
        var machine = try Self.consuming("c")
        if case .success = machine.send(F.consume("c", noWait: true)) {
            Issue.record("a second consumer with tag c was accepted")
        }
    }

    @Test("no-wait consume and cancel register and forget the consumer at once")
    func noWaitConsumeCancel() throws {
        var machine = F.openChannel()
        let consume = F.consume("nw", noWait: true)
        #expect(try machine.send(consume).get().sentMethod == consume)
        #expect(machine.consumers == ["nw": false])
        _ = machine.received(F.deliver("nw"))
        #expect(machine.received(F.header(0)).delivered != nil)
        let cancel = AMQP.Method.basicCancel(AMQP.Basic.Cancel(consumerTag: "nw", noWait: true))
        #expect(try machine.send(cancel).get().sentMethod == cancel)
        #expect(machine.consumers.isEmpty)
    }

    @Test("basic.return with its content is reported as returned")
    func basicReturn() throws {
        var machine = F.openChannel()
        let returned = AMQP.Basic.Return(replyCode: 312, replyText: "NO_ROUTE", exchange: "ex", routingKey: "nowhere")
        #expect(machine.received(.basicReturn(returned)).isNone)
        #expect(machine.received(F.header(3)).isNone)
        let message = try #require(machine.received(body: F.bytes("abc")).returnedMessage)
        #expect(message.returnMethod == returned)
        #expect(message.bodyString == "abc")
    }

    @Test("deliveries do not disturb the RPC in flight")
    func deliveryDuringRPC() throws {
        var machine = try Self.consuming("c")
        _ = machine.rpc(F.queueDeclare("x"), 5)
        _ = machine.received(F.deliver("c"))
        #expect(machine.received(F.header(0)).delivered != nil)
        #expect(try #require(machine.received(F.queueDeclareOk("x")).succeeded).pending == 5)
    }

    @Test("a method in the middle of a message is a connection error 505", arguments: [
        MachineFixtures.queueDeclareOk("q"),
        MachineFixtures.deliver("c", deliveryTag: 2),
        .channelFlow(AMQP.Channel.Flow(active: false)),
    ])
    func methodMidContent(method: AMQP.Method) throws {
        var machine = try Self.consuming("c")
        _ = machine.rpc(F.queueDeclare("q"), 2)
        _ = machine.received(F.deliver("c"))
        _ = machine.received(F.header(10))
        let error = try #require(machine.received(method).connectionErrorValues)
        #expect(error.code == 505)
        #expect(error.reason.contains("middle of a message"))
    }

    @Test("content frames out of order are a connection error 505")
    func contentOutOfOrder() throws {
        var machine = try Self.consuming("c")
        #expect(machine.received(F.header(1)).connectionErrorValues?.code == 505)
        #expect(machine.received(body: F.bytes("x")).connectionErrorValues?.code == 505)
        _ = machine.received(F.deliver("c"))
        #expect(machine.received(body: F.bytes("x")).connectionErrorValues?.code == 505)
    }

    @Test("more body bytes than announced are a connection error 505")
    func bodyOverflow() throws {
        var machine = try Self.consuming("c")
        _ = machine.received(F.deliver("c"))
        _ = machine.received(F.header(2))
        let error = try #require(machine.received(body: F.bytes("abc")).connectionErrorValues)
        #expect(error.code == 505)
        #expect(error.reason.contains("3"))
    }

    @Test("channel.flow from the broker is reported and remembered")
    func flow() throws {
        var machine = F.openChannel()
        #expect(machine.flowActive)
        #expect(machine.received(.channelFlow(AMQP.Channel.Flow(active: false))).flowActive == false)
        #expect(!machine.flowActive)
        #expect(machine.received(.channelFlow(AMQP.Channel.Flow(active: true))).flowActive == true)
        #expect(machine.flowActive)
    }
}
