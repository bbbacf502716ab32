import AMQPProtocol
import NIOCore
import Testing

@testable import Hare

@Suite("Channel machine: closing in both directions")
struct ChannelCloseTests {
    typealias F = MachineFixtures

    struct ConnectionGone: Error, Equatable {}

    // MARK: The broker closes

    @Test("broker close while opening fails the open request and what waited behind it")
    func brokerCloseOpening() throws {
        var machine = F.Channel(channelNumber: 2)
        _ = machine.open(1)
        _ = machine.rpc(F.queueDeclare("q"), 2)
        _ = try machine.publish(F.publish("p"))
        let closed = try #require(machine.received(F.channelClose(504, "CHANNEL_ERROR - second 'channel.open'", classID: 20, methodID: 10)).closedValues)
        #expect(closed.error as? ChannelClosedByBroker == ChannelClosedByBroker(
            replyCode: 504, replyText: "CHANNEL_ERROR - second 'channel.open'", classID: 20, methodID: 10
        ))
        #expect(closed.failed == [1, 2])
        #expect(closed.consumers.isEmpty)
        #expect(closed.unconfirmed.isEmpty)
        #expect(closed.sendCloseOk)
        #expect(closed.closeWaiter == nil)
        #expect(machine.state == .closed)
        #expect(machine.nextOutbound() == nil)
    }

    @Test("broker close with an RPC in flight fails it")
    func brokerCloseRPCInFlight() throws {
        var machine = F.openChannel()
        _ = machine.rpc(.queueDeclare(AMQP.Queue.Declare(queue: "missing", passive: true)), 5)
        let closed = try #require(machine.received(F.channelClose(404, "NOT_FOUND - no queue 'missing'", classID: 50, methodID: 10)).closedValues)
        let error = try #require(closed.error as? ChannelClosedByBroker)
        #expect(error.replyCode == 404)
        #expect(error.classID == 50 && error.methodID == 10)
        #expect(closed.failed == [5])
        #expect(closed.sendCloseOk)
    }

    @Test("broker close with a queue fails the RPC in flight, then the queued ones in order")
    func brokerCloseWithQueue() throws {
        var machine = F.openChannel()
        _ = machine.rpc(F.queueDeclare("a"), 1)
        _ = machine.rpc(F.queueDeclare("b"), 2)
        _ = try machine.publish(F.publish("p"))
        _ = try machine.send(.basicQos(AMQP.Basic.Qos(prefetchCount: 1))).get()
        _ = machine.rpc(F.queueDeclare("c"), 3)
        let closed = try #require(machine.received(F.channelClose(406, "PRECONDITION_FAILED")).closedValues)
        #expect(closed.failed == [1, 2, 3])
        #expect(machine.nextOutbound() == nil, "queued work is dropped")
    }

    @Test("broker close in the middle of a message drops it; later content frames are ignored")
    func brokerCloseMidContent() throws {
        var machine = F.openChannel()
        _ = machine.rpc(F.consume("c"), 1)
        _ = machine.received(.basicConsumeOk(AMQP.Basic.ConsumeOk(consumerTag: "c")))
        _ = machine.received(F.deliver("c"))
        _ = machine.received(F.header(10))
        _ = machine.received(body: F.bytes("12345"))
        let closed = try #require(machine.received(F.channelClose(320, "CONNECTION_FORCED")).closedValues)
        #expect(closed.consumers == ["c"])
        #expect(closed.failed.isEmpty)
        #expect(machine.received(body: F.bytes("67890")).isNone)
        #expect(machine.received(F.header(1)).isNone)
        #expect(machine.received(F.deliver("c")).isNone)
    }

    @Test("broker close reports every consumer and every unconfirmed publish")
    func brokerCloseConsumersAndConfirms() throws {
        var machine = F.openChannel()
        _ = try machine.send(F.consume("a", noWait: true)).get()
        _ = try machine.send(F.consume("b", noWait: true)).get()
        _ = try machine.send(.confirmSelect(AMQP.Confirm.Select(nowait: true))).get()
        for key in ["x", "y", "z"] { _ = try machine.publish(F.publish(key)) }
        _ = machine.received(.basicAck(AMQP.Basic.Ack(deliveryTag: 1)))
        let closed = try #require(machine.received(F.channelClose(406, "PRECONDITION_FAILED - unknown delivery tag 9")).closedValues)
        #expect(closed.consumers.sorted() == ["a", "b"])
        #expect(closed.unconfirmed == [2, 3])
        #expect(machine.consumers.isEmpty)
        #expect(machine.confirms.unconfirmedCount == 0)
    }

    @Test("after a broker close every request is refused and every frame ignored")
    func afterBrokerClose() throws {
        var machine = F.openChannel(9)
        _ = machine.received(F.channelClose(404, "NOT_FOUND"))
        let rpc = try #require(machine.rpc(F.queueDeclare("q"), 4).failed)
        #expect(rpc.pending == 4)
        let wrongState = try #require(rpc.error as? ChannelWrongStateError)
        #expect(wrongState.reason.contains("closed"))
        #expect(wrongState.reason.contains("9"))
        #expect(throws: ChannelWrongStateError.self, "a publish on a closed channel is refused") {
            _ = try machine.publish(F.publish("p"))
        }
        guard case .failure = machine.send(.basicQos(AMQP.Basic.Qos())) else {
            Issue.record("a no-wait method on a closed channel was accepted")
            return
        }
        guard case .failure = machine.acknowledge(.basicAck(AMQP.Basic.Ack(deliveryTag: 1))) else {
            Issue.record("an ack on a closed channel was accepted")
            return
        }
        let close = try #require(machine.close(replyCode: 200, replyText: "bye", 5).failed)
        #expect(close.pending == 5)
        #expect(close.error is ChannelWrongStateError)
        #expect(machine.received(F.channelClose(404, "again")).isNone)
        #expect(machine.received(.channelCloseOk(AMQP.Channel.CloseOk())).isNone)
        #expect(machine.received(F.queueDeclareOk("q")).isNone)
        #expect(machine.connectionClosed(ConnectionGone()).isNone)
    }

    // MARK: The application closes

    @Test("a client close sends close and fails what never went out; close-ok ends the channel")
    func clientClose() throws {
        var machine = F.openChannel()
        _ = try machine.send(F.consume("c", noWait: true)).get()
        _ = machine.rpc(F.queueDeclare("a"), 1)
        _ = machine.rpc(F.queueDeclare("b"), 2)
        _ = try machine.publish(F.publish("p"))
        _ = machine.rpc(F.queueDeclare("c"), 3)

        let closing = try #require(machine.close(replyCode: 200, replyText: "Normal shutdown", 9).closingValues)
        #expect(closing.send == AMQP.Channel.Close(replyCode: 200, replyText: "Normal shutdown", classId: 0, methodId: 0))
        #expect(closing.failed == [2, 3], "the queued requests fail now; the one in flight waits")
        #expect(closing.error as? ChannelClosedByClient == ChannelClosedByClient(replyCode: 200, replyText: "Normal shutdown"))
        #expect(machine.state == .closing)
        #expect(machine.nextOutbound() == nil)

        let closed = try #require(machine.received(.channelCloseOk(AMQP.Channel.CloseOk())).closedValues)
        #expect(closed.error is ChannelClosedByClient)
        #expect(closed.failed == [1])
        #expect(closed.consumers == ["c"])
        #expect(closed.unconfirmed.isEmpty)
        #expect(!closed.sendCloseOk)
        #expect(closed.closeWaiter == 9)
        #expect(machine.state == .closed)
    }

    /// Pika hands the close callbacks ChannelClosedByClient with the code and text the
    /// application passed to close(), not a fixed one.
    @Test("the closed error after close-ok carries the application's reply code and text")
    func clientCloseKeepsReason() throws {
        var machine = F.openChannel()
        _ = machine.close(replyCode: 320, replyText: "shutting down the worker", 1)
        let closed = try #require(machine.received(.channelCloseOk(AMQP.Channel.CloseOk())).closedValues)
        let error = try #require(closed.error as? ChannelClosedByClient)
        #expect(error == ChannelClosedByClient(replyCode: 320, replyText: "shutting down the worker"))
    }

    @Test("while closing, frames other than close and close-ok are discarded and requests refused")
    func whileClosing() throws {
        var machine = F.openChannel()
        _ = try machine.send(F.consume("c", noWait: true)).get()
        _ = machine.rpc(F.queueDeclare("a"), 1)
        _ = machine.close(replyCode: 200, replyText: "bye", 9)

        #expect(machine.received(F.queueDeclareOk("a")).isNone)
        #expect(machine.received(F.deliver("c")).isNone)
        #expect(machine.received(F.header(1)).isNone)
        #expect(machine.received(body: F.bytes("x")).isNone)
        #expect(machine.received(.channelFlow(AMQP.Channel.Flow(active: false))).isNone)
        #expect(machine.received(.basicCancel(AMQP.Basic.Cancel(consumerTag: "c"))).isNone)

        let rpc = try #require(machine.rpc(F.queueDeclare("b"), 2).failed)
        #expect((rpc.error as? ChannelWrongStateError)?.reason.contains("closing") == true)
        #expect(throws: ChannelWrongStateError.self, "a publish on a closing channel is refused") {
            _ = try machine.publish(F.publish("p"))
        }
        guard case .failure = machine.send(.basicQos(AMQP.Basic.Qos())) else {
            Issue.record("a no-wait method on a closing channel was accepted")
            return
        }
        guard case .failure = machine.acknowledge(.basicAck(AMQP.Basic.Ack(deliveryTag: 1))) else {
            Issue.record("an ack on a closing channel was accepted")
            return
        }
        let again = try #require(machine.close(replyCode: 200, replyText: "again", 3).failed)
        #expect(again.pending == 3)
        #expect((again.error as? ChannelWrongStateError)?.reason.contains("already closing") == true)

        let closed = try #require(machine.received(.channelCloseOk(AMQP.Channel.CloseOk())).closedValues)
        #expect(closed.failed == [1])
        #expect(closed.closeWaiter == 9)
    }

    @Test("a client close while opening waits for close-ok, which fails the open request")
    func clientCloseOpening() throws {
        var machine = F.Channel(channelNumber: 1)
        _ = machine.open(1)
        _ = machine.rpc(F.queueDeclare("q"), 2)
        let closing = try #require(machine.close(replyCode: 200, replyText: "bye", 3).closingValues)
        #expect(closing.failed == [2])
        #expect(machine.received(.channelOpenOk(AMQP.Channel.OpenOk())).isNone, "open-ok is discarded while closing")
        let closed = try #require(machine.received(.channelCloseOk(AMQP.Channel.CloseOk())).closedValues)
        #expect(closed.failed == [1])
        #expect(closed.closeWaiter == 3)
    }

    @Test("a broker close crossing our close is answered with close-ok and ends the channel")
    func closeCollision() throws {
        var machine = F.openChannel()
        _ = machine.rpc(F.queueDeclare("a"), 1)
        _ = machine.close(replyCode: 200, replyText: "bye", 9)
        let closed = try #require(machine.received(F.channelClose(406, "PRECONDITION_FAILED")).closedValues)
        #expect((closed.error as? ChannelClosedByBroker)?.replyCode == 406)
        #expect(closed.sendCloseOk)
        #expect(closed.failed == [1])
        #expect(closed.closeWaiter == 9)
        #expect(machine.received(.channelCloseOk(AMQP.Channel.CloseOk())).isNone)
    }

    @Test("close-ok when no close was sent is a connection error 505")
    func unexpectedCloseOk() throws {
        var machine = F.openChannel()
        #expect(machine.received(.channelCloseOk(AMQP.Channel.CloseOk())).connectionErrorValues?.code == 505)
    }

    // MARK: The connection closes

    @Test("the connection closing ends an open channel with its error; no close-ok is written")
    func connectionClosedOpen() throws {
        var machine = F.openChannel()
        _ = try machine.send(F.consume("c", noWait: true)).get()
        _ = machine.rpc(F.queueDeclare("a"), 1)
        _ = machine.rpc(F.queueDeclare("b"), 2)
        let closed = try #require(machine.connectionClosed(ConnectionGone()).closedValues)
        #expect(closed.error is ConnectionGone)
        #expect(closed.failed == [1, 2])
        #expect(closed.consumers == ["c"])
        #expect(!closed.sendCloseOk)
        #expect(closed.closeWaiter == nil)
        #expect(machine.state == .closed)
        #expect(machine.connectionClosed(ConnectionGone()).isNone)
    }

    @Test("the connection closing while the channel opens fails the open request")
    func connectionClosedOpening() throws {
        var machine = F.Channel(channelNumber: 1)
        _ = machine.open(1)
        let closed = try #require(machine.connectionClosed(ConnectionGone()).closedValues)
        #expect(closed.failed == [1])
    }

    @Test("the connection closing while the channel closes completes the close request")
    func connectionClosedClosing() throws {
        var machine = F.openChannel()
        _ = machine.close(replyCode: 200, replyText: "bye", 9)
        let closed = try #require(machine.connectionClosed(ConnectionGone()).closedValues)
        #expect(closed.closeWaiter == 9)
        #expect(!closed.sendCloseOk)
    }
}
