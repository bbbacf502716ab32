import AMQPProtocol
@testable import Hare
import NIOCore
import Testing
import HareTestSupport

extension Integration {
    /// The async face under the uses that once hung or trapped: a consumer whose loop awaits the
    /// broker while its buffer is full, a consumer iterated twice, a connect that fails at once.
    @Suite("Async face: no hangs, no traps")
    struct AsyncRobustnessTests {
        @Test("a consumer whose loop awaits RPCs and confirms while its buffer is full does not deadlock")
        func fullBufferLoopAwaitingTheBroker() async throws {
            let connection = try await Hare.Connection.connect(try Broker.parameters())
            defer { Task { try? await connection.close() } }
            // Bounded as a whole: a deadlock fails the test instead of hanging it.
            try await withTimeout(90, "the consumer loop that awaits the broker") {
                try await Self.consumeWhileAwaitingTheBroker(on: connection)
            }
        }

        static func consumeWhileAwaitingTheBroker(on connection: Hare.Connection) async throws {
            let channel = try await connection.channel()
            let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
            let consumer = try await channel.basicConsume(queue: queue, autoAck: true)
            let publisher = try await connection.channel()
            let total = 2000
            for index in 0..<total {
                try await publisher.basicPublish(exchange: "", routingKey: queue, body: ByteBuffer(string: "m\(index)"))
            }
            // Unread, the buffer fills past the high watermark and reads from the socket pause.
            let deadline = ContinuousClock.now + .seconds(10)
            while consumer.bufferedCount < Hare.Channel.consumerWatermarks.high, ContinuousClock.now < deadline {
                try await pause(0.05)
            }
            #expect(consumer.bufferedCount >= Hare.Channel.consumerWatermarks.high)
            // Opening a channel, declaring and confirming all need the broker's answer.
            let confirming = try await connection.channel()
            _ = try await confirming.confirmSelect()
            let sink = try await confirming.queueDeclare(queue: "", exclusive: true).queue
            // Every step of the loop waits for an answer that can only come through the socket.
            var count = 0
            for try await delivery in consumer {
                _ = try await channel.queueDeclare(queue: queue, passive: true)
                try await confirming.publish(exchange: "", routingKey: sink, body: delivery.body)
                count += 1
                if count == total { break }
            }
            #expect(count == total)
            #expect(try await confirming.queueDeclare(queue: sink, passive: true).messageCount == UInt32(total))
        }

        @Test("a second iterator of a consumer throws ConsumerAlreadyIterated and the first goes on")
        func consumerIteratedTwice() async throws {
            let connection = try await Hare.Connection.connect(try Broker.parameters())
            defer { Task { try? await connection.close() } }
            let channel = try await connection.channel()
            let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
            let consumer = try await channel.basicConsume(queue: queue, autoAck: true)
            let first = Task {
                var iterator = consumer.makeAsyncIterator()
                return try await iterator.next()?.body
            }
            try await pause(0.2)
            var second = consumer.makeAsyncIterator()
            await #expect(throws: ConsumerAlreadyIterated(consumerTag: consumer.consumerTag)) { _ = try await second.next() }
            #expect(try await second.next() == nil)
            try await channel.basicPublish(exchange: "", routingKey: queue, body: "to the first")
            let body = try await withTimeout(10, "the first iterator's delivery") { try await first.value }
            #expect(body == ByteBuffer(string: "to the first"))
        }

        @Test("a basic.get cancelled before its message arrives gives the message back to the queue")
        func cancelledGetRequeues() async throws {
            let connection = try await Hare.Connection.connect(try Broker.parameters())
            defer { Task { try? await connection.close() } }
            let channel = try await connection.channel()
            let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
            let other = try await channel.queueDeclare(queue: "", exclusive: true).queue
            try await channel.basicPublish(exchange: "", routingKey: queue, body: "fetched late")
            try await awaitMessageCount(1, queue: queue, on: channel)
            let notices = connection.blockedNotices
            try await RabbitMQCtl.withMemoryAlarm {
                // Once the connection publishes under the alarm the broker stops reading it: the
                // get waits, and its get-ok comes only after the alarm.
                try await channel.basicPublish(exchange: "", routingKey: other, body: "under the alarm")
                var iterator = notices.makeAsyncIterator()
                guard case .blocked = await iterator.next() else { throw ScenarioFailure("expected connection.blocked") }
                let waiting = Task { try await channel.basicGet(queue: queue) }
                try await pause(0.3)
                waiting.cancel()
                await #expect(throws: CancellationError.self) { _ = try await waiting.value }
            }
            // The get-ok arrived for nobody: the message is rejected back, ready again.
            try await awaitMessageCount(1, queue: queue, on: channel)
            let again = try await channel.basicGet(queue: queue, autoAck: true)
            #expect(again?.body == ByteBuffer(string: "fetched late"))
            #expect(again?.method.redelivered == true)
        }

        @Test("rpcTimeout ends RPC, confirm and channel-close waits with RPCTimeoutError; the channel stays usable")
        func rpcTimeoutBoundsEveryWait() async throws {
            let connection = try await Hare.Connection.connect(try Broker.parameters(), rpcTimeout: 1)
            defer { Task { try? await connection.close() } }
            let channel = try await connection.channel()
            let spare = try await connection.channel()
            _ = try await channel.confirmSelect()
            let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
            let notices = connection.blockedNotices
            let late = Names.unique("hare-test-late")
            // Bounded as a whole: without the timeouts the waits below would never end.
            try await withTimeout(30, "the waits under the memory alarm") {
                try await RabbitMQCtl.withMemoryAlarm {
                    // Once the connection publishes under the alarm the broker stops reading it.
                    try await channel.basicPublish(exchange: "", routingKey: queue, body: "under the alarm")
                    var iterator = notices.makeAsyncIterator()
                    guard case .blocked = await iterator.next() else { throw ScenarioFailure("expected connection.blocked") }
                    let started = ContinuousClock.now
                    await #expect(throws: RPCTimeoutError(operation: "queueDeclare", seconds: 1)) {
                        _ = try await channel.queueDeclare(queue: late, exclusive: true)
                    }
                    let waited = ContinuousClock.now - started
                    #expect(waited >= .milliseconds(900) && waited < .seconds(5), "waited \(waited)")
                    await #expect(throws: RPCTimeoutError(operation: "publish", seconds: 1)) {
                        try await channel.publish(exchange: "", routingKey: queue, body: "confirmed late")
                    }
                    await #expect(throws: RPCTimeoutError(operation: "channel.close", seconds: 1)) {
                        try await spare.close()
                    }
                }
            }
            // The late replies are discarded; the next reply goes to the next request.
            let after = Names.unique("hare-test-after")
            let declared = try await withTimeout(15, "a declare after the timed-out one") {
                try await channel.queueDeclare(queue: after, exclusive: true)
            }
            #expect(declared.queue == after)
            #expect(try await channel.queueDeclare(queue: late, passive: true).queue == late)
            #expect(channel.isOpen)
            let spareEnd = try await withTimeout(15, "the spare channel's close-ok") { await spare.closed() }
            #expect(spareEnd is ChannelClosedByClient)
        }

        @Test("basicPublish waits while the broker does not read: a fast publisher's memory stays bounded, nothing is lost")
        func publishBackpressure() async throws {
            let connection = try await Hare.Connection.connect(try Broker.parameters())
            defer { Task { try? await connection.close() } }
            let channel = try await connection.channel()
            let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
            let notices = connection.blockedNotices
            let total = 200
            let size = 256 * 1024
            let body = ByteBuffer(repeating: 0x62, count: size)
            let handedOver = Locked(0)
            let publisher = try await withTimeout(60, "publishing under the memory alarm") {
                try await RabbitMQCtl.withMemoryAlarm { () -> Task<Void, any Error> in
                    // Once the connection publishes under the alarm the broker stops reading it.
                    try await channel.basicPublish(exchange: "", routingKey: queue, body: "under the alarm")
                    var iterator = notices.makeAsyncIterator()
                    guard case .blocked = await iterator.next() else { throw ScenarioFailure("expected connection.blocked") }
                    let publisher = Task {
                        for _ in 0..<total {
                            try await channel.basicPublish(exchange: "", routingKey: queue, body: body)
                            handedOver.withLock { $0 += 1 }
                        }
                    }
                    try await expectPublishingStalls(handedOver, of: total, bytesEach: size, after: 2)
                    return publisher
                }
            }
            // The alarm is over: the waiting publishes go out, in full.
            try await withTimeout(60, "the publishes after the alarm") { try await publisher.value }
            #expect(handedOver.value == total)
            try await awaitMessageCount(UInt32(total + 1), queue: queue, on: channel)
            _ = try await channel.queuePurge(queue: queue)
        }

        @Test("basicPublish in confirm mode while the broker does not read: numbered publishes and waiting ones go out in number order")
        func confirmModeNumbersUnderBackpressure() async throws {
            let connection = try await Hare.Connection.connect(try Broker.parameters())
            defer { Task { try? await connection.close() } }
            let channel = try await connection.channel()
            let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
            try await channel.confirmSelect()
            let confirms = channel.publisherConfirms()
            let notices = connection.blockedNotices
            let tasks = 4, perTask = 40, size = 128 * 1024
            let numbers = Locked([String: UInt64]())
            let publishers = try await withTimeout(60, "publishing under the memory alarm") {
                try await RabbitMQCtl.withMemoryAlarm { () -> [Task<Void, any Error>] in
                    // Once the connection publishes under the alarm the broker stops reading it.
                    guard let first = try await channel.basicPublish(exchange: "", routingKey: queue, body: "0:first;") else {
                        throw ScenarioFailure("no sequence number in confirm mode")
                    }
                    numbers.withLock { $0["0:first"] = first }
                    var iterator = notices.makeAsyncIterator()
                    guard case .blocked = await iterator.next() else { throw ScenarioFailure("expected connection.blocked") }
                    // Up to 1 MiB is handed over and numbered; the rest waits for the socket,
                    // and is numbered on the loop when its turn comes, among later handed-over ones.
                    let publishers = (0..<tasks).map { task in
                        Task {
                            for index in 0..<perTask {
                                var body = ByteBuffer(string: "\(task):\(index);")
                                body.writeRepeatingByte(0x6E, count: size)
                                guard let number = try await channel.basicPublish(exchange: "", routingKey: queue, body: body) else {
                                    throw ScenarioFailure("no sequence number in confirm mode")
                                }
                                numbers.withLock { $0["\(task):\(index)"] = number }
                            }
                        }
                    }
                    try await pause(1)
                    #expect(numbers.value.count < 1 + tasks * perTask, "every publish went out while the broker read nothing")
                    return publishers
                }
            }
            let total = 1 + tasks * perTask
            try await withTimeout(60, "the publishes after the alarm") {
                for publisher in publishers { try await publisher.value }
            }
            let numbered = numbers.value
            #expect(Set(numbered.values) == Set(1...UInt64(total)))
            // Every number up to the total is acked.
            #expect(try await ackedNumbers(confirms, total: total) == Set(1...UInt64(total)))
            let consumer = try await channel.basicConsume(queue: queue, autoAck: true)
            let misplaced = try await misplacedMessages(consumer, total: total, numbered: numbered)
            #expect(misplaced.isEmpty, "\(misplaced.count) misplaced: \(misplaced.prefix(5))")
        }

        /// Polls until `queue` holds `count` ready messages (at most 15 s).
        func awaitMessageCount(_ count: UInt32, queue: String, on channel: Hare.Channel) async throws {
            let deadline = ContinuousClock.now + .seconds(15)
            while try await channel.queueDeclare(queue: queue, passive: true).messageCount != count {
                guard ContinuousClock.now < deadline else {
                    throw ScenarioFailure("queue \(queue) never held \(count) ready messages")
                }
                try await pause(0.05)
            }
        }

        @Test("connect fails at once, never hangs, when the parameters are refused before any I/O")
        func connectFailsAtOnce() async throws {
            for _ in 0..<200 {
                await #expect(throws: ParametersError.self) {
                    try await withTimeout(10, "connect with no parameters") {
                        _ = try await Hare.Connection.connect([any ConnectionParametersConvertible]())
                    }
                }
                await #expect(throws: (any Error).self) {
                    try await withTimeout(10, "connect with frame_max 100") {
                        _ = try await Hare.Connection.connect(try Broker.parameters { $0.frameMax = 100 })
                    }
                }
            }
        }
    }
}
