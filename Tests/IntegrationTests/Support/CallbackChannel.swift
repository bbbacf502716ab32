import AMQPProtocol
import Hare
import NIOCore
import HareTestSupport

/// A `SelectChannel` behind the scenario protocol: each RPC's completion callback resumes the
/// waiting test; close, return, cancel and confirm callbacks feed mailboxes.
final class CallbackChannel: FaceChannel, MailboxFed {
    /// The channel under test.
    let channel: SelectChannel
    let checker: LoopChecker
    let closes = Mailbox<any Error>("the channel's close callback")
    let returns = Mailbox<ReturnedMessage>("a returned message")
    let brokerCancels = Mailbox<String>("a consumer cancelled by the broker")
    let confirms = Mailbox<PublisherConfirm>("a publisher confirm")

    init(channel: SelectChannel, checker: LoopChecker) {
        self.channel = channel
        self.checker = checker
        let closes = closes, returns = returns, brokerCancels = brokerCancels
        channel.addOnCloseCallback { channel, error in
            checker.check(channel.connection.ioloop.eventLoop, "channel close")
            closes.put(error)
        }
        channel.addOnReturnCallback { channel, returned, properties, body in
            checker.check(channel.connection.ioloop.eventLoop, "return")
            returns.put(ReturnedMessage(
                replyCode: returned.replyCode, replyText: returned.replyText, exchange: returned.exchange,
                routingKey: returned.routingKey, properties: properties, body: body
            ))
        }
        channel.addOnCancelCallback { channel, cancel in
            checker.check(channel.connection.ioloop.eventLoop, "cancel")
            brokerCancels.put(cancel.consumerTag)
        }
    }

    var isOpen: Bool { channel.isOpen }

    /// Runs one RPC of the face and waits for its completion callback.
    private func rpc<Reply: Sendable>(
        _ what: String, timeout: Double = 10, _ start: (@escaping (Result<Reply, any Error>) -> Void) -> Void
    ) async throws -> Reply {
        let checker = checker
        let loop = channel.connection.ioloop.eventLoop
        return try await awaitCallback("the reply to \(what)", timeout: timeout) { done in
            start { result in
                checker.check(loop, "\(what) completion")
                done(result)
            }
        }
    }

    // MARK: Exchanges

    func exchangeDeclare(
        _ exchange: String, type: String, passive: Bool, durable: Bool, autoDelete: Bool, internal: Bool, arguments: FieldTable
    ) async throws {
        _ = try await rpc("exchange.declare \(exchange)") { done in
            channel.exchangeDeclare(
                exchange: exchange, exchangeType: type, passive: passive, durable: durable, autoDelete: autoDelete,
                internal: `internal`, arguments: arguments, callback: done
            )
        }
    }

    func exchangeDelete(_ exchange: String, ifUnused: Bool) async throws {
        _ = try await rpc("exchange.delete \(exchange)") { done in
            channel.exchangeDelete(exchange: exchange, ifUnused: ifUnused, callback: done)
        }
    }

    func exchangeBind(destination: String, source: String, routingKey: String) async throws {
        _ = try await rpc("exchange.bind") { done in
            channel.exchangeBind(destination: destination, source: source, routingKey: routingKey, callback: done)
        }
    }

    func exchangeUnbind(destination: String, source: String, routingKey: String) async throws {
        _ = try await rpc("exchange.unbind") { done in
            channel.exchangeUnbind(destination: destination, source: source, routingKey: routingKey, callback: done)
        }
    }

    // MARK: Queues

    func queueDeclare(
        _ queue: String, passive: Bool, durable: Bool, exclusive: Bool, autoDelete: Bool, arguments: FieldTable
    ) async throws -> AMQP.Queue.DeclareOk {
        try await rpc("queue.declare \(queue)") { done in
            channel.queueDeclare(
                queue: queue, passive: passive, durable: durable, exclusive: exclusive, autoDelete: autoDelete,
                arguments: arguments, callback: done
            )
        }
    }

    func queueBind(_ queue: String, exchange: String, routingKey: String) async throws {
        _ = try await rpc("queue.bind") { done in
            channel.queueBind(queue: queue, exchange: exchange, routingKey: routingKey, callback: done)
        }
    }

    func queueUnbind(_ queue: String, exchange: String, routingKey: String) async throws {
        _ = try await rpc("queue.unbind") { done in
            channel.queueUnbind(queue: queue, exchange: exchange, routingKey: routingKey, callback: done)
        }
    }

    func queuePurge(_ queue: String) async throws -> UInt32 {
        let ok: AMQP.Queue.PurgeOk = try await rpc("queue.purge \(queue)") { done in
            channel.queuePurge(queue: queue, callback: done)
        }
        return ok.messageCount
    }

    func queueDelete(_ queue: String, ifUnused: Bool, ifEmpty: Bool) async throws -> UInt32 {
        let ok: AMQP.Queue.DeleteOk = try await rpc("queue.delete \(queue)") { done in
            channel.queueDelete(queue: queue, ifUnused: ifUnused, ifEmpty: ifEmpty, callback: done)
        }
        return ok.messageCount
    }

    // MARK: Messages

    func basicQos(prefetchCount: UInt16, global: Bool) async throws {
        _ = try await rpc("basic.qos") { done in
            channel.basicQos(prefetchCount: prefetchCount, globalQos: global, callback: done)
        }
    }

    /// Publishes on the loop (where `basicPublish` throws and returns sequence numbers), all in
    /// one loop turn.
    func publish(_ messages: [OutgoingMessage]) async throws -> [UInt64?] {
        let channel = channel
        return try await awaitCallback("publishing \(messages.count) message(s)") { done in
            channel.connection.ioloop.addCallbackThreadsafe {
                do {
                    var numbers: [UInt64?] = []
                    numbers.reserveCapacity(messages.count)
                    for message in messages {
                        numbers.append(try channel.basicPublish(
                            exchange: message.exchange, routingKey: message.routingKey, body: message.body,
                            properties: message.properties, mandatory: message.mandatory
                        ))
                    }
                    done(.success(numbers))
                } catch {
                    done(.failure(error))
                }
            }
        }
    }

    func get(_ queue: String, autoAck: Bool) async throws -> ReceivedMessage? {
        let message: BasicGetMessage? = try await rpc("basic.get \(queue)") { done in
            channel.basicGet(queue: queue, autoAck: autoAck, callback: done)
        }
        return message.map(ReceivedMessage.init)
    }

    func consume(_ queue: String, autoAck: Bool, exclusive: Bool) async throws -> TestConsumer {
        let deliveries = Mailbox<ReceivedMessage>("a delivery from queue \(queue)")
        let checker = checker
        var tag = ""
        let ok: AMQP.Basic.ConsumeOk = try await rpc("basic.consume \(queue)") { done in
            tag = channel.basicConsume(
                queue: queue,
                onMessageCallback: { channel, deliver, properties, body in
                    checker.check(channel.connection.ioloop.eventLoop, "consumer")
                    deliveries.put(ReceivedMessage(
                        consumerTag: deliver.consumerTag, deliveryTag: deliver.deliveryTag, redelivered: deliver.redelivered,
                        exchange: deliver.exchange, routingKey: deliver.routingKey, properties: properties, body: body
                    ))
                },
                autoAck: autoAck, exclusive: exclusive, callback: done
            )
        }
        if ok.consumerTag != tag {
            throw ScenarioFailure("consume-ok names consumer '\(ok.consumerTag)', basicConsume returned '\(tag)'")
        }
        return TestConsumer(tag: tag, deliveries: deliveries)
    }

    func cancel(_ consumerTag: String) async throws {
        _ = try await rpc("basic.cancel \(consumerTag)") { done in
            channel.basicCancel(consumerTag: consumerTag, callback: done)
        }
    }

    func ack(_ deliveryTag: UInt64, multiple: Bool) async throws {
        channel.basicAck(deliveryTag: deliveryTag, multiple: multiple)
    }

    func nack(_ deliveryTag: UInt64, multiple: Bool, requeue: Bool) async throws {
        channel.basicNack(deliveryTag: deliveryTag, multiple: multiple, requeue: requeue)
    }

    func reject(_ deliveryTag: UInt64, requeue: Bool) async throws {
        channel.basicReject(deliveryTag: deliveryTag, requeue: requeue)
    }

    func recover(requeue: Bool) async throws {
        _ = try await rpc("basic.recover") { done in
            channel.basicRecover(requeue: requeue, callback: done)
        }
    }

    // MARK: Confirms, returns, cancels

    func confirmSelect() async throws {
        let confirms = confirms
        let checker = checker
        _ = try await rpc("confirm.select") { done in
            channel.confirmDelivery(
                ackNackCallback: { channel, confirm in
                    checker.check(channel.connection.ioloop.eventLoop, "ack/nack")
                    confirms.put(confirm)
                },
                callback: done
            )
        }
    }

    // MARK: Transactions, flow, close

    func txSelect() async throws {
        _ = try await rpc("tx.select") { done in channel.txSelect(callback: done) }
    }

    func txCommit() async throws {
        _ = try await rpc("tx.commit") { done in channel.txCommit(callback: done) }
    }

    func txRollback() async throws {
        _ = try await rpc("tx.rollback") { done in channel.txRollback(callback: done) }
    }

    func flow(active: Bool) async throws -> Bool {
        try await rpc("channel.flow") { done in channel.flow(active: active, callback: done) }
    }

    func close() async throws -> any Error {
        channel.close()
        return try await closes.next(timeout: 10)
    }

    func closeReason(timeout: Double) async throws -> any Error {
        try await closes.next(timeout: timeout)
    }
}
