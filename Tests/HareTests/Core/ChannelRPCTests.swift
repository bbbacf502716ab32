import AMQPProtocol
import NIOCore
import Testing

@testable import Hare

@Suite("Channel machine: open and synchronous requests")
struct ChannelRPCTests {
    typealias F = MachineFixtures

    @Test("open sends channel.open; open-ok completes the open request")
    func open() throws {
        var machine = F.Channel(channelNumber: 3)
        #expect(machine.channelNumber == 3)
        #expect(machine.state == .opening)
        let action = machine.open(7)
        #expect(action.sentMethod == .channelOpen(AMQP.Channel.Open()))
        #expect(machine.state == .opening)

        let done = try #require(machine.received(.channelOpenOk(AMQP.Channel.OpenOk())).succeeded)
        #expect(done.pending == 7)
        #expect(done.reply.replyMethod == .channelOpenOk(AMQP.Channel.OpenOk()))
        #expect(machine.state == .open)
        #expect(machine.nextOutbound() == nil)
    }

    @Test("requests made while opening wait for open-ok, then go out in order up to the first RPC")
    func requestsWhileOpening() throws {
        var machine = F.Channel(channelNumber: 1)
        _ = machine.open(0)
        #expect(machine.rpc(F.queueDeclare("a"), 1).isNone)
        #expect(try machine.publish(F.publish("p")) == nil)
        #expect(machine.rpc(F.queueDeclare("b"), 2).isNone)
        #expect(machine.nextOutbound() == nil, "nothing goes out before open-ok")

        _ = try #require(machine.received(.channelOpenOk(AMQP.Channel.OpenOk())).succeeded)
        #expect(F.drain(&machine) == ["method:queue.declare"])
        let first = try #require(machine.received(F.queueDeclareOk("a")).succeeded)
        #expect(first.pending == 1)
        #expect(F.drain(&machine) == ["publish:p", "method:queue.declare"])
        let second = try #require(machine.received(F.queueDeclareOk("b")).succeeded)
        #expect(second.pending == 2)
        #expect(second.reply.replyMethod == F.queueDeclareOk("b"))
        #expect(F.drain(&machine).isEmpty)
    }

    @Test("a method without a reply is refused as an RPC rather than sent and waited for forever")
    func rpcWithoutReply() throws {
        var machine = F.openChannel()
        let ack = AMQP.Method.basicAck(AMQP.Basic.Ack(deliveryTag: 1, multiple: false))
        let failed = try #require(machine.rpc(ack, 5).failed)
        #expect(failed.pending == 5)
        #expect(failed.error is ChannelWrongStateError)
        #expect(machine.nextOutbound() == nil)
    }

    @Test("an RPC on an idle open channel is sent at once")
    func rpcSentImmediately() throws {
        var machine = F.openChannel()
        let action = machine.rpc(F.queueDeclare("q"), 1)
        #expect(action.sentMethod == F.queueDeclare("q"))
        #expect(machine.nextOutbound() == nil)
        let done = try #require(machine.received(F.queueDeclareOk("q")).succeeded)
        #expect(done.pending == 1)
        guard case .queueDeclareOk(let ok) = done.reply.replyMethod else {
            Issue.record("expected queue.declare-ok")
            return
        }
        #expect(ok.queue == "q")
    }

    @Test("RPCs behind one in flight are queued and sent FIFO, one at a time")
    func rpcQueueFIFO() throws {
        var machine = F.openChannel()
        #expect(machine.rpc(F.queueDeclare("1"), 1).sentMethod == F.queueDeclare("1"))
        #expect(machine.rpc(F.queueDeclare("2"), 2).isNone)
        #expect(machine.rpc(.basicQos(AMQP.Basic.Qos(prefetchSize: 0, prefetchCount: 10, global: true)), 3).isNone)
        #expect(machine.nextOutbound() == nil, "nothing leaves while an RPC is in flight")

        #expect(try #require(machine.received(F.queueDeclareOk("1")).succeeded).pending == 1)
        let second = machine.nextOutbound()
        guard case .method(let method)? = second else {
            Issue.record("expected the second declare")
            return
        }
        #expect(method == F.queueDeclare("2"))
        #expect(machine.nextOutbound() == nil)

        #expect(try #require(machine.received(F.queueDeclareOk("2")).succeeded).pending == 2)
        guard case .method(.basicQos(let qos))? = machine.nextOutbound() else {
            Issue.record("expected basic.qos")
            return
        }
        #expect(qos.prefetchCount == 10 && qos.global)
        let qosDone = try #require(machine.received(.basicQosOk(AMQP.Basic.QosOk())).succeeded)
        #expect(qosDone.pending == 3)
        #expect(machine.nextOutbound() == nil)
    }

    @Test("a reply that does not answer the RPC in flight is a connection error 505")
    func replyMismatch() throws {
        var machine = F.openChannel(4)
        _ = machine.rpc(F.queueDeclare("q"), 1)
        let error = try #require(machine.received(.exchangeDeclareOk(AMQP.Exchange.DeclareOk())).connectionErrorValues)
        #expect(error.code == 505)
        #expect(error.reason.contains("exchange.declare-ok"))
        #expect(error.reason.contains("queue.declare"))
        #expect(error.reason.contains("channel 4"))
    }

    @Test("a reply with nothing in flight is a connection error 505")
    func replyWithNothingInFlight() throws {
        var machine = F.openChannel()
        let error = try #require(machine.received(F.queueDeclareOk("q")).connectionErrorValues)
        #expect(error.code == 505)
        #expect(error.reason.contains("no request waiting"))
    }

    @Test("a second open-ok is a connection error")
    func secondOpenOk() throws {
        var machine = F.openChannel()
        #expect(machine.received(.channelOpenOk(AMQP.Channel.OpenOk())).connectionErrorValues?.code == 505)
    }

    @Test("publishes and no-wait methods queue behind an RPC and keep the application's order")
    func outboundOrder() throws {
        var machine = F.openChannel()
        _ = machine.rpc(F.queueDeclare("a"), 1)
        #expect(try machine.publish(F.publish("p1")) == nil)
        #expect(try machine.send(.queueBind(AMQP.Queue.Bind(queue: "a", exchange: "x", routingKey: "k", noWait: true))).get().isNone)
        #expect(machine.rpc(F.queueDeclare("b"), 2).isNone)
        #expect(try machine.publish(F.publish("p2")) == nil)
        #expect(try machine.send(.basicQos(AMQP.Basic.Qos(prefetchCount: 1))).get().isNone)

        _ = try #require(machine.received(F.queueDeclareOk("a")).succeeded)
        #expect(F.drain(&machine) == ["publish:p1", "method:queue.bind", "method:queue.declare"])
        _ = try #require(machine.received(F.queueDeclareOk("b")).succeeded)
        #expect(F.drain(&machine) == ["publish:p2", "method:basic.qos"])
        // Idle again: work goes out at once.
        let now = try #require(try machine.publish(F.publish("p3")))
        #expect(now.routingKey == "p3")
        #expect(now.sequenceNumber == nil)
        #expect(try machine.send(.basicRecoverAsync(AMQP.Basic.RecoverAsync(requeue: true))).get().sentMethod
            == .basicRecoverAsync(AMQP.Basic.RecoverAsync(requeue: true)))
    }

    @Test("a publish on an idle channel goes out at once with its content")
    func publishNow() throws {
        var machine = F.openChannel()
        var request = F.publish("rk", body: "hello")
        request.mandatory = true
        request.properties = AMQP.BasicProperties(contentType: "text/plain", deliveryMode: 2)
        let out = try #require(try machine.publish(request))
        #expect(out.method == AMQP.Basic.Publish(exchange: "", routingKey: "rk", mandatory: true, immediate: false))
        #expect(out.properties.deliveryMode == 2)
        #expect(out.body == F.bytes("hello"))
    }

    @Test("acks, nacks and rejects never wait behind an RPC")
    func acknowledgeNeverQueued() throws {
        var machine = F.openChannel()
        _ = machine.rpc(F.queueDeclare("a"), 1)
        _ = machine.rpc(F.queueDeclare("b"), 2)
        let ack = AMQP.Method.basicAck(AMQP.Basic.Ack(deliveryTag: 5, multiple: true))
        #expect(try machine.acknowledge(ack).get() == ack)
        let nack = AMQP.Method.basicNack(AMQP.Basic.Nack(deliveryTag: 6, multiple: false, requeue: true))
        #expect(try machine.acknowledge(nack).get() == nack)
        let reject = AMQP.Method.basicReject(AMQP.Basic.Reject(deliveryTag: 7, requeue: false))
        #expect(try machine.acknowledge(reject).get() == reject)
        _ = try #require(machine.received(F.queueDeclareOk("a")).succeeded)
        #expect(F.drain(&machine) == ["method:queue.declare"], "acks were not queued")
    }

    @Test("basic.get: get-ok with its content completes the request with the message")
    func basicGet() throws {
        var machine = F.openChannel()
        #expect(machine.rpc(.basicGet(AMQP.Basic.Get(queue: "q", noAck: false)), 8).sentMethod
            == .basicGet(AMQP.Basic.Get(queue: "q", noAck: false)))
        let getOk = AMQP.Basic.GetOk(deliveryTag: 42, redelivered: true, exchange: "ex", routingKey: "rk", messageCount: 3)
        #expect(machine.received(.basicGetOk(getOk)).isNone)
        #expect(machine.received(F.header(5)).isNone)
        #expect(machine.received(body: F.bytes("he")).isNone)
        let done = try #require(machine.received(body: F.bytes("llo")).succeeded)
        #expect(done.pending == 8)
        let message = try #require(done.reply.replyMessage)
        #expect(message.getOk == getOk)
        #expect(message.properties.contentType == "text/plain")
        #expect(message.bodyString == "hello")
        #expect(machine.nextOutbound() == nil)
        // Nothing is in flight any more.
        #expect(machine.received(.basicGetEmpty(AMQP.Basic.GetEmpty())).connectionErrorValues?.code == 505)
    }

    @Test("basic.get with an empty body completes at the header")
    func basicGetEmptyBody() throws {
        var machine = F.openChannel()
        _ = machine.rpc(.basicGet(AMQP.Basic.Get(queue: "q")), 1)
        _ = machine.received(.basicGetOk(AMQP.Basic.GetOk(deliveryTag: 1)))
        let done = try #require(machine.received(F.header(0)).succeeded)
        #expect(try #require(done.reply.replyMessage).body.readableBytes == 0)
    }

    @Test("basic.get: get-empty completes the request with the method")
    func basicGetEmpty() throws {
        var machine = F.openChannel()
        _ = machine.rpc(.basicGet(AMQP.Basic.Get(queue: "q")), 8)
        _ = machine.rpc(F.queueDeclare("next"), 9)
        let done = try #require(machine.received(.basicGetEmpty(AMQP.Basic.GetEmpty())).succeeded)
        #expect(done.pending == 8)
        #expect(done.reply.replyMethod == .basicGetEmpty(AMQP.Basic.GetEmpty()))
        #expect(F.drain(&machine) == ["method:queue.declare"])
    }

    @Test("get-ok with no basic.get in flight is a connection error 505")
    func getOkWithoutGet() throws {
        var machine = F.openChannel()
        _ = machine.rpc(F.queueDeclare("q"), 1)
        let error = try #require(machine.received(.basicGetOk(AMQP.Basic.GetOk(deliveryTag: 1))).connectionErrorValues)
        #expect(error.code == 505)
        #expect(error.reason.contains("basic.get-ok"))
    }

    @Test("tx, qos, flow and exchange methods complete with their replies", arguments: [
        (AMQP.Method.txSelect(AMQP.Tx.Select()), AMQP.Method.txSelectOk(AMQP.Tx.SelectOk())),
        (.txCommit(AMQP.Tx.Commit()), .txCommitOk(AMQP.Tx.CommitOk())),
        (.txRollback(AMQP.Tx.Rollback()), .txRollbackOk(AMQP.Tx.RollbackOk())),
        (.basicQos(AMQP.Basic.Qos(prefetchSize: 0, prefetchCount: 5, global: false)), .basicQosOk(AMQP.Basic.QosOk())),
        (.channelFlow(AMQP.Channel.Flow(active: false)), .channelFlowOk(AMQP.Channel.FlowOk(active: false))),
        (.exchangeDeclare(AMQP.Exchange.Declare(exchange: "x", type: "topic")), .exchangeDeclareOk(AMQP.Exchange.DeclareOk())),
        (.exchangeBind(AMQP.Exchange.Bind(destination: "d", source: "s", routingKey: "k")), .exchangeBindOk(AMQP.Exchange.BindOk())),
        (.queuePurge(AMQP.Queue.Purge(queue: "q")), .queuePurgeOk(AMQP.Queue.PurgeOk(messageCount: 4))),
        (.queueDelete(AMQP.Queue.Delete(queue: "q")), .queueDeleteOk(AMQP.Queue.DeleteOk(messageCount: 2))),
        (.queueUnbind(AMQP.Queue.Unbind(queue: "q", exchange: "x")), .queueUnbindOk(AMQP.Queue.UnbindOk())),
    ])
    func rpcReplies(request: AMQP.Method, reply: AMQP.Method) throws {
        var machine = F.openChannel()
        #expect(machine.rpc(request, 1).sentMethod == request)
        let done = try #require(machine.received(reply).succeeded, "\(reply.name) did not complete \(request.name)")
        #expect(done.pending == 1)
        #expect(done.reply.replyMethod == reply)
    }

    /// basic.recover is synchronous in RabbitMQ and Pika (it waits for recover-ok), but the
    /// spec file marks it asynchronous with no response, so `responseTypes` is empty.
    @Test("basic.recover completes with recover-ok")
    func basicRecover() throws {
        var machine = F.openChannel()
        #expect(machine.rpc(.basicRecover(AMQP.Basic.Recover(requeue: true)), 1).sentMethod
            == .basicRecover(AMQP.Basic.Recover(requeue: true)))
        let action = machine.received(.basicRecoverOk(AMQP.Basic.RecoverOk()))
        let done = try #require(action.succeeded, "recover-ok gave \(action.name)")
        #expect(done.pending == 1)
        #expect(done.reply.replyMethod == .basicRecoverOk(AMQP.Basic.RecoverOk()))
    }
}

