import AMQPProtocol
@testable import Hare
import Logging
import NIOCore
import ServiceLifecycle
import Testing
import HareTestSupport

extension Integration {
    /// What only the async/await face promises: confirm windows, errors from `publish`,
    /// consumers as AsyncSequences with backpressure, cancellation, and the Service lifecycle.
    @Suite("Async face: confirms, consumers, cancellation, lifecycle")
    struct AsyncSpecificTests {
        /// Opens a connection and a channel, runs `body`, and closes the connection.
        func withChannel<T>(_ body: (Hare.Connection, Hare.Channel) async throws -> T) async throws -> T {
            let connection = try await Hare.Connection.connect(try Broker.parameters())
            do {
                let result = try await body(connection, try await connection.channel())
                if connection.isOpen { try await connection.close() }
                return result
            } catch {
                if connection.isOpen { try? await connection.close() }
                throw error
            }
        }

        /// Polls a passive declare until `condition` holds for the queue (at most 10 s).
        func awaitQueue(
            _ queue: String, on channel: Hare.Channel, _ what: String, _ condition: (AMQP.Queue.DeclareOk) -> Bool
        ) async throws {
            let deadline = ContinuousClock.now + .seconds(10)
            while true {
                let state = try await channel.queueDeclare(queue: queue, passive: true)
                if condition(state) { return }
                guard ContinuousClock.now < deadline else {
                    throw ScenarioFailure("\(what): queue \(queue) stayed at \(state.messageCount) messages, \(state.consumerCount) consumers")
                }
                try await pause(0.05)
            }
        }

        @Test("a confirm window: 1000 publishes from 8 tasks at once, each resolved by its own ack")
        func confirmWindow() async throws {
            try await withChannel { _, channel in
                let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
                try await channel.confirmSelect()
                let confirmed = try await withTimeout(30, "1000 confirms") {
                    try await withThrowingTaskGroup(of: Int.self) { group in
                        for task in 0..<8 {
                            group.addTask {
                                try await withThrowingTaskGroup(of: Void.self) { inner in
                                    for index in 0..<125 {
                                        inner.addTask {
                                            try await channel.publish(exchange: "", routingKey: queue, body: "task \(task) message \(index)")
                                        }
                                    }
                                    try await inner.waitForAll()
                                }
                                return 125
                            }
                        }
                        return try await group.reduce(0, +)
                    }
                }
                #expect(confirmed == 1000)
                #expect(try await channel.queuePurge(queue: queue).messageCount == 1000)
            }
        }

        @Test("publish in confirm mode: an unroutable mandatory message throws UnroutableError, its routable neighbours do not")
        func unroutable() async throws {
            try await withChannel { _, channel in
                let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
                try await channel.confirmSelect()
                let nowhere = Names.unique("hare-test-nowhere")
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await channel.publish(exchange: "", routingKey: queue, body: "routable 1", mandatory: true) }
                    group.addTask {
                        let error = await #expect(throws: UnroutableError.self) {
                            try await channel.publish(exchange: "amq.direct", routingKey: nowhere, body: "come back", mandatory: true)
                        }
                        #expect(error?.replyCode == 312)
                        #expect(error?.routingKey == nowhere)
                    }
                    group.addTask { try await channel.publish(exchange: "", routingKey: queue, body: "routable 2", mandatory: true) }
                    try await group.waitForAll()
                }
                #expect(try await channel.queuePurge(queue: queue).messageCount == 2)
                #expect(channel.isOpen)
            }
        }

        @Test("a mandatory basicPublish handed over in confirm mode keeps its place for return matching: its return is not taken for a later publish with the same content")
        func handedOverMandatoryReturn() async throws {
            try await withChannel { _, channel in
                let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
                try await channel.confirmSelect()
                let returns = channel.returnedMessages()
                let key = Names.unique("hare-test-bound-later")
                // Unroutable now: nothing is bound to amq.direct with this key. Handed over from
                // this task, numbered as it is.
                let first = try await channel.basicPublish(exchange: "amq.direct", routingKey: key, body: "same", mandatory: true)
                // One loop turn, after the one that takes the first publish (handed over before
                // this task was enqueued): bind the key, then publish the same message, now
                // routable, and wait for its confirm. The first one's return can only be read
                // after this turn, when both publishes are kept for return matching.
                let second = Locked<UInt64?>(nil)
                try await awaitReply { (confirm: ReplyWaiter<Void>) in
                    channel.eventLoop.execute {
                        channel.select.queueBind(queue: queue, exchange: "amq.direct", routingKey: key)
                        do {
                            guard let number = try channel.publishOnLoop(
                                exchange: "amq.direct", routingKey: key, body: ByteBuffer(string: "same"),
                                properties: AMQP.BasicProperties(), mandatory: true
                            ) else {
                                throw ScenarioFailure("no sequence number in confirm mode")
                            }
                            second.withLock { $0 = number }
                            // As `publish` waits: the ack resolves it, a return matched to it
                            // makes it throw UnroutableError.
                            channel.state.value.confirmWaiters[number] = confirm
                        } catch {
                            confirm.resolve(.failure(error))
                        }
                    }
                }
                #expect(first.map { $0 + 1 } == second.value)
                let returned = try await withTimeout(10, "the first publish's return") {
                    await returns.first { _ in true }
                }
                #expect(returned?.body == ByteBuffer(string: "same"))
                #expect(try await channel.queuePurge(queue: queue).messageCount == 1)
                #expect(channel.isOpen)
            }
        }

        @Test("publish in confirm mode: a refused message throws NackError; outside confirm mode publish refuses")
        func nack() async throws {
            try await withChannel { _, channel in
                await #expect(throws: ChannelWrongStateError.self) {
                    try await channel.publish(exchange: "", routingKey: "anything", body: "no confirms yet")
                }
                let queue = try await channel.queueDeclare(
                    queue: "", exclusive: true, arguments: ["x-max-length": .int64(1), "x-overflow": .string("reject-publish")]
                ).queue
                try await channel.confirmSelect()
                try await channel.publish(exchange: "", routingKey: queue, body: "fits")
                let error = await #expect(throws: NackError.self) {
                    try await channel.publish(exchange: "", routingKey: queue, body: "refused")
                }
                #expect(error?.deliveryTag == 2)
            }
        }

        @Test("leaving a for-await loop cancels the consumer on the broker and requeues what it never read")
        func breakCancelsConsumer() async throws {
            try await withChannel { _, channel in
                let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
                for index in 1...3 { try await channel.basicPublish(exchange: "", routingKey: queue, body: "message \(index)") }
                // Every message is buffered before the loop starts reading.
                let consumer = try await channel.basicConsume(queue: queue)
                try await awaitQueue(queue, on: channel, "all delivered") { $0.messageCount == 0 }
                var first: Delivery?
                for try await delivery in consumer {
                    first = delivery
                    break
                }
                #expect(first.map { String(buffer: $0.body) } == "message 1")
                try await awaitQueue(queue, on: channel, "consumer cancelled, two requeued") {
                    $0.consumerCount == 0 && $0.messageCount == 2
                }
                try await first?.ack()
            }
        }

        @Test("cancelling the task of a consumer loop cancels the consumer on the broker")
        func taskCancellationCancelsConsumer() async throws {
            try await withChannel { _, channel in
                let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
                let consumer = try await channel.basicConsume(queue: queue, autoAck: true)
                #expect(try await channel.queueDeclare(queue: queue, passive: true).consumerCount == 1)
                let received = Locked(0)
                let loop = Task {
                    for try await _ in consumer { received.withLock { $0 += 1 } }
                }
                try await channel.basicPublish(exchange: "", routingKey: queue, body: "one")
                let deadline = ContinuousClock.now + .seconds(10)
                while received.value == 0, ContinuousClock.now < deadline { try await pause(0.02) }
                loop.cancel()
                await #expect(throws: CancellationError.self) { try await loop.value }
                try await awaitQueue(queue, on: channel, "consumer cancelled") { $0.consumerCount == 0 }
                #expect(received.value == 1)
            }
        }

        @Test("a consumer the broker cancels ends its sequence with ConsumerCancelled")
        func serverCancel() async throws {
            try await withChannel { connection, channel in
                let queue = Names.unique("hare-test-async-cancel")
                try await channel.queueDeclare(queue: queue, autoDelete: false)
                let consumer = try await channel.basicConsume(queue: queue)
                let other = try await connection.channel()
                try await other.queueDelete(queue: queue)
                let error = await #expect(throws: ConsumerCancelled.self) {
                    try await withTimeout(10, "the consumer to end") {
                        for try await _ in consumer {}
                    }
                }
                #expect(error?.consumerTag == consumer.consumerTag)
                #expect(channel.isOpen)
            }
        }

        @Test("a channel close ends the consumer's sequence with the close reason")
        func channelCloseEndsConsumer() async throws {
            try await withChannel { _, channel in
                let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
                let consumer = try await channel.basicConsume(queue: queue)
                let ending = Task { for try await _ in consumer {} }
                try await channel.close()
                await #expect(throws: ChannelClosedByClient.self) { try await ending.value }
                await #expect(throws: ChannelWrongStateError.self) { try await channel.basicAck(deliveryTag: 1) }
            }
        }

        @Test("deliveries buffered when the channel closes are read, in order, before the close reason")
        func bufferedDeliveriesOutliveTheClose() async throws {
            try await withChannel { connection, channel in
                let queue = try await channel.queueDeclare(queue: "", exclusive: false, autoDelete: true).queue
                for index in 0..<10 { try await channel.basicPublish(exchange: "", routingKey: queue, body: "\(index)") }
                let consumer = try await channel.basicConsume(queue: queue, autoAck: true)
                try await withTimeout(10, "10 deliveries buffered") {
                    while consumer.bufferedCount < 10 { try await pause(0.01) }
                }
                try await channel.close()
                var bodies: [String] = []
                await #expect(throws: ChannelClosedByClient.self) {
                    for try await delivery in consumer { bodies.append(String(buffer: delivery.body)) }
                }
                #expect(bodies == (0..<10).map { "\($0)" })
                #expect(connection.isOpen)
            }
        }

        @Test("a slow autoAck consumer without prefetch keeps its buffer bounded against 20,000 messages")
        func slowConsumerStaysBounded() async throws {
            try await withChannel { connection, channel in
                let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
                let consumer = try await channel.basicConsume(queue: queue, autoAck: true)
                let total = 20_000
                let publisher = try await connection.channel()
                let body = ByteBuffer(repeating: 0x61, count: 200)
                for _ in 0..<total { try await publisher.basicPublish(exchange: "", routingKey: queue, body: body) }
                // The application does not read for a while: the broker pushes as fast as it can.
                var largest = 0
                for _ in 0..<30 {
                    try await pause(0.1)
                    largest = max(largest, consumer.bufferedCount)
                }
                // What bounds it: the high watermark plus one socket read burst.
                #expect(largest >= Hare.Channel.consumerWatermarks.high)
                #expect(largest < 4000, "the consumer buffered \(largest) deliveries")
                let received = try await withTimeout(60, "20,000 deliveries") {
                    var count = 0
                    for try await _ in consumer {
                        count += 1
                        if count == total { break }
                    }
                    return count
                }
                #expect(received == total)
                #expect(connection.isOpen)
            }
        }

        @Test("a consumer that stops acking never holds more than its prefetch; the rest waits in the queue")
        func stoppedAckingHoldsPrefetch() async throws {
            try await withChannel { connection, channel in
                let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
                let body = ByteBuffer(repeating: 0x61, count: 1024)
                for _ in 0..<2000 { try await channel.basicPublish(exchange: "", routingKey: queue, body: body) }
                let observer = try await connection.channel()
                try await channel.basicQos(prefetchCount: 100)
                let consumer = try await channel.basicConsume(queue: queue)
                try await awaitQueue(queue, on: observer, "100 delivered") { $0.messageCount == 1900 }
                // Not read and not acked: the client holds the prefetch and nothing more.
                var largest = 0
                for _ in 0..<10 {
                    try await pause(0.05)
                    largest = max(largest, consumer.bufferedCount)
                }
                #expect(largest == 100, "the consumer buffered \(largest) deliveries")
                var iterator = consumer.makeAsyncIterator()
                var lastTag: UInt64 = 0
                for _ in 0..<100 { lastTag = try #require(try await iterator.next()).deliveryTag }
                try await pause(0.3)
                #expect(consumer.bufferedCount == 0)
                #expect(try await observer.queueDeclare(queue: queue, passive: true).messageCount == 1900)
                // One multiple ack frees the window: the next hundred arrive.
                try await channel.basicAck(deliveryTag: lastTag, multiple: true)
                try await awaitQueue(queue, on: observer, "the next 100 delivered") { $0.messageCount == 1800 }
            }
        }

        @Test("a cancelled RPC throws CancellationError promptly and the channel stays usable")
        func rpcCancellation() async throws {
            try await withChannel { connection, channel in
                let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
                let notices = connection.blockedNotices
                let late = Names.unique("hare-test-late")
                let after = Names.unique("hare-test-after")
                try await RabbitMQCtl.withMemoryAlarm {
                    // Once the connection publishes under the alarm the broker stops reading it:
                    // the declare below waits for its reply.
                    try await channel.basicPublish(exchange: "", routingKey: queue, body: "under the alarm")
                    var iterator = notices.makeAsyncIterator()
                    guard case .blocked = await iterator.next() else { throw ScenarioFailure("expected connection.blocked") }
                    let waiting = Task { try await channel.queueDeclare(queue: late, exclusive: true) }
                    try await pause(0.3)
                    let cancelledAt = ContinuousClock.now
                    waiting.cancel()
                    await #expect(throws: CancellationError.self) { _ = try await waiting.value }
                    #expect(ContinuousClock.now - cancelledAt < .milliseconds(500))
                }
                // The late reply is discarded; the next reply goes to the next request.
                let declared = try await withTimeout(15, "a declare after the cancelled one") {
                    try await channel.queueDeclare(queue: after, exclusive: true)
                }
                #expect(declared.queue == after)
                #expect(try await channel.queueDeclare(queue: late, passive: true).queue == late)
                #expect(channel.isOpen)
            }
        }

        @Test("basicPublish outside confirm mode: one task's 5,000 publishes arrive in order; what cannot be encoded still throws at once")
        func handedOverPublishes() async throws {
            try await withChannel { connection, channel in
                let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
                // Thrown by the call itself, though the call does not wait for the loop.
                await #expect(throws: AMQPProtocolError.self) {
                    try await channel.basicPublish(exchange: "", routingKey: String(repeating: "r", count: 300), body: "too long a key")
                }
                var deep: FieldTable = ["leaf": .boolean(true)]
                for _ in 0..<40 { deep = ["nested": .table(deep)] }
                await #expect(throws: AMQPProtocolError.self) {
                    try await channel.basicPublish(
                        exchange: "", routingKey: queue, body: "too deep", properties: AMQP.BasicProperties(headers: deep)
                    )
                }
                let total = 5000
                for index in 0..<total {
                    try await channel.basicPublish(exchange: "", routingKey: queue, body: "\(index)")
                }
                let consumer = try await channel.basicConsume(queue: queue, autoAck: true)
                let received = try await withTimeout(30, "\(total) deliveries") { () -> [Int] in
                    var received: [Int] = []
                    for try await delivery in consumer {
                        received.append(Int(String(buffer: delivery.body)) ?? -1)
                        if received.count == total { break }
                    }
                    return received
                }
                #expect(received == Array(0..<total))
                #expect(channel.isOpen)
            }
        }

        @Test("eight tasks publishing 1,000 messages each on one channel never interleave frames")
        func concurrentPublishersKeepMessagesWhole() async throws {
            try await withChannel { connection, channel in
                let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
                let consuming = try await connection.channel()
                let consumer = try await consuming.basicConsume(queue: queue, autoAck: true)
                @Sendable func body(_ task: Int, _ index: Int) -> ByteBuffer {
                    // Every 50th message spans several body frames (frame_max 131072).
                    let size = index % 50 == 0 ? 300_000 + task : 10 + (task * 7 + index) % 500
                    var buffer = ByteBuffer(string: "\(task):\(index):")
                    buffer.writeRepeatingByte(UInt8(truncatingIfNeeded: task &* 31 &+ index), count: size)
                    return buffer
                }
                // The consumer reads while the tasks publish.
                let checking = Task {
                    var nextIndex = [Int](repeating: 0, count: 8), bad = 0
                    var iterator = consumer.makeAsyncIterator()
                    for _ in 0..<8000 {
                        guard let delivery = try await iterator.next() else { break }
                        guard case .int32(let task)? = delivery.properties.headers?["task"],
                              case .int32(let index)? = delivery.properties.headers?["index"],
                              (0..<8).contains(task) else {
                            bad += 1
                            continue
                        }
                        let whole = delivery.properties.messageId == "\(task)-\(index)"
                            && delivery.properties.headers?["pad"] == .string(String(repeating: "x", count: Int(index) % 64))
                            && delivery.body == body(Int(task), Int(index))
                            && nextIndex[Int(task)] == Int(index)
                        if !whole { bad += 1 }
                        nextIndex[Int(task)] = Int(index) + 1
                    }
                    return (nextIndex, bad)
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for task in 0..<8 {
                        group.addTask {
                            for index in 0..<1000 {
                                var properties = AMQP.BasicProperties()
                                properties.messageId = "\(task)-\(index)"
                                properties.headers = [
                                    "task": .int32(Int32(task)), "index": .int32(Int32(index)),
                                    "pad": .string(String(repeating: "x", count: index % 64)),
                                ]
                                try await channel.basicPublish(exchange: "", routingKey: queue, body: body(task, index), properties: properties)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let (nextIndex, bad) = try await withTimeout(60, "8000 deliveries") { try await checking.value }
                #expect(bad == 0)
                #expect(nextIndex == [Int](repeating: 1000, count: 8))
            }
        }

        @Test("basicPublish in confirm mode from 6 tasks, with waiting, mandatory and confirmed publishes among them: each number is the message's place in the queue")
        func confirmModeNumbersAreWireOrder() async throws {
            try await withChannel { connection, channel in
                let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
                try await channel.confirmSelect()
                let confirms = channel.publisherConfirms()
                let perTask = 400
                // Task 0 waits for each confirm (`publish`, numbered on the loop); task 1 publishes
                // mandatory messages (handed over, kept for return matching as the loop takes
                // them); every 40th message of task 2 is 300 kB, past the handoff's bound (those
                // wait for the socket); the others are handed over and numbered there.
                let numbered = try await withTimeout(60, "6 publishing tasks") {
                    try await withThrowingTaskGroup(of: [String: UInt64].self) { group in
                        for task in 0..<6 {
                            group.addTask {
                                var numbers: [String: UInt64] = [:]
                                for index in 0..<perTask {
                                    let id = "\(task):\(index)"
                                    var body = ByteBuffer(string: id + ";")
                                    if task == 2, index % 40 == 0 { body.writeRepeatingByte(0x78, count: 300_000) }
                                    if task == 0 {
                                        try await channel.publish(exchange: "", routingKey: queue, body: body)
                                        continue
                                    }
                                    let number: UInt64? = try await channel.basicPublish(exchange: "", routingKey: queue, body: body, mandatory: task == 1)
                                    guard let number else { throw ScenarioFailure("no sequence number for \(id)") }
                                    numbers[id] = number
                                }
                                return numbers
                            }
                        }
                        return try await group.reduce(into: [:]) { $0.merge($1) { first, _ in first } }
                    }
                }
                let total = 6 * perTask
                #expect(numbered.count == 5 * perTask)
                #expect(Set(numbered.values).count == numbered.count, "a sequence number was handed out twice")
                // Every number up to the total is acked.
                #expect(try await ackedNumbers(confirms, total: total) == Set(1...UInt64(total)))
                let consumer = try await channel.basicConsume(queue: queue, autoAck: true)
                let misplaced = try await misplacedMessages(consumer, total: total, numbered: numbered)
                #expect(misplaced.isEmpty, "\(misplaced.count) misplaced: \(misplaced.prefix(5))")
                #expect(channel.isOpen && connection.isOpen)
            }
        }

        @Test("updateSecret waits for update-secret-ok")
        func updateSecret() async throws {
            try await withChannel { connection, _ in
                let password = (try Broker.parameters().credentials as? PlainCredentials)?.password ?? "guest"
                try await connection.updateSecret(password, reason: "rotation test")
                #expect(connection.isOpen)
            }
        }

        @Test("as a Service in a ServiceGroup: graceful shutdown closes the connection normally")
        func serviceGracefulShutdown() async throws {
            let connection = try await Hare.Connection.connect(try Broker.parameters())
            let group = ServiceGroup(services: [connection], logger: Logger(label: "hare-test"))
            let running = Task { try await group.run() }
            try await pause(0.3)
            #expect(connection.isOpen)
            await group.triggerGracefulShutdown()
            try await withTimeout(10, "the service group to end") { try await running.value }
            let reason = await connection.closed()
            #expect((reason as? ConnectionClosedByClient)?.replyCode == 200, "closed with \(reason)")
            #expect(!connection.isOpen)
        }

        @Test("as a Service without recovery: a connection the broker closes makes run() throw why")
        func serviceThrowsBrokerClose() async throws {
            let name = Names.unique("hare-test-service-close")
            // With recovery (the default) a forced close is recovered and run() carries on.
            let connection = try await Hare.Connection.connect(try Broker.parameters(name: name), recovery: .disabled)
            let running = Task { try await connection.run() }
            _ = try await connection.channel()
            try await RabbitMQCtl.closeConnection(named: name, explanation: "closed by the Hare tests")
            await #expect(throws: ConnectionClosedByBroker.self) {
                try await withTimeout(10, "run() to end") {
                    try await withTaskCancellationHandler { try await running.value } onCancel: { running.cancel() }
                }
            }
        }
    }
}
