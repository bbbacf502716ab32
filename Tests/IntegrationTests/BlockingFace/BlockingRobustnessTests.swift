import AMQPProtocol
import Dispatch
import Logging
import NIOCore
import Testing

@testable import Hare
import HareTestSupport

extension Integration {
    /// The blocking face's server information, the generator's waiting count, and how it
    /// behaves when a wait times out, a call nests or runs on the loop, and a close is not
    /// confirmed in time.
    @Suite("Blocking face: robustness")
    struct BlockingRobustnessTests {
        /// Opens a connection on a worker thread (with `rpcTimeout` as the bound of every wait
        /// when given), runs `body`, and closes the connection if it is still open.
        func withBlocking<T: Sendable>(
            rpcTimeout: Double? = nil,
            _ body: (BlockingWorker, BlockingConnection) async throws -> T
        ) async throws -> T {
            let parameters = try Broker.parameters()
            let worker = BlockingWorker(name: "hare-blocking-robustness")
            defer { worker.stop() }
            let connection = try await worker.run {
                try BlockingConnection([parameters], logger: Logger(label: "hare"), rpcTimeout: rpcTimeout)
            }
            do {
                let result = try await body(worker, connection)
                if !connection.isClosed { try await worker.run { try connection.close() } }
                return result
            } catch {
                if !connection.isClosed { _ = try? await worker.run { try connection.close() } }
                throw error
            }
        }

        /// Keeps the connection's loop busy for `seconds` (queued behind what the loop already
        /// has to do), so that a wait started now cannot be answered before then.
        func stallLoop(_ connection: BlockingConnection, seconds: Double) {
            connection.selectConnection.ioloop.addCallbackThreadsafe {
                _ = DispatchSemaphore(value: 0).wait(timeout: .now() + seconds)
            }
        }

        @Test("serverProperties and the capability properties come from connection.start")
        func serverCapabilities() async throws {
            try await withBlocking { _, connection in
                #expect(connection.serverProperties["product"] == .string("RabbitMQ"))
                #expect(connection.basicNackSupported)
                #expect(connection.consumerCancelNotifySupported)
                #expect(connection.exchangeExchangeBindingsSupported)
                #expect(connection.publisherConfirmsSupported)
            }
        }

        @Test("getWaitingMessageCount counts the generator's messages that arrived and were not yielded")
        func waitingMessageCount() async throws {
            struct Counts: Sendable {
                var beforeConsume = -1
                var empty = -1
                var arrived = -1
                var afterOne = -1
                var requeued = -1
                var afterCancel = -1
            }
            try await withBlocking { worker, connection in
                let queue = Names.unique("hare-test-waiting-count")
                let counts = try await worker.run {
                    var counts = Counts()
                    let channel = try connection.channel()
                    try channel.queueDeclare(queue: queue, exclusive: true)
                    counts.beforeConsume = channel.getWaitingMessageCount()
                    var messages = try channel.consume(queue: queue, inactivityTimeout: 5)
                    counts.empty = channel.getWaitingMessageCount()
                    for index in 1...3 { try channel.basicPublish(exchange: "", routingKey: queue, body: "message \(index)") }
                    let deadline = ContinuousClock.now + .seconds(5)
                    while channel.getWaitingMessageCount() < 3, ContinuousClock.now < deadline {
                        try connection.sleep(0.05)
                    }
                    counts.arrived = channel.getWaitingMessageCount()
                    _ = try messages.nextMessage()
                    counts.afterOne = channel.getWaitingMessageCount()
                    counts.requeued = try channel.cancel()
                    counts.afterCancel = channel.getWaitingMessageCount()
                    return counts
                }
                #expect(counts.beforeConsume == 0)
                #expect(counts.empty == 0)
                #expect(counts.arrived == 3)
                #expect(counts.afterOne == 2)
                #expect(counts.requeued == 2)
                #expect(counts.afterCancel == 0)
            }
        }

        @Test("a confirm-mode publish that times out is forgotten; its late return goes to the return callbacks")
        func timedOutPublishIsForgotten() async throws {
            struct Sent: Sendable {
                var timedOut: BlockingCallTimeout?
                var waitedMs = -1
            }
            struct Seen: Sendable {
                var waitingAfterTimeout = -1
                var routable = false
                var unroutableKey: String?
                var returnedBodies: [String] = []
            }
            try await withBlocking(rpcTimeout: 1) { worker, connection in
                let lostKey = Names.unique("hare-test-nowhere")
                let returned = Locked<[String]>([])
                let (channel, trigger, queue) = try await worker.run { () -> (BlockingChannel, BlockingChannel, String) in
                    let channel = try connection.channel()
                    channel.addOnReturnCallback { _, _, _, body in returned.withLock { $0.append(String(buffer: body)) } }
                    try channel.confirmDelivery()
                    let queue = try channel.queueDeclare(queue: "", exclusive: true).queue
                    return (channel, try connection.channel(), queue)
                }
                // Under a memory alarm the broker stops reading a connection once it publishes:
                // the mandatory publish below is sent, but its return and ack come only after
                // the alarm, long after the 1 s bound.
                let sent = try await RabbitMQCtl.withMemoryAlarm {
                    try await worker.run {
                        var sent = Sent()
                        try trigger.basicPublish(exchange: "", routingKey: queue, body: "under the alarm")
                        try connection.sleep(0.3)
                        let start = ContinuousClock.now
                        do {
                            try channel.basicPublish(exchange: "amq.direct", routingKey: lostKey, body: "lost", mandatory: true)
                        } catch let error as BlockingCallTimeout {
                            sent.timedOut = error
                        }
                        sent.waitedMs = Int((ContinuousClock.now - start) / .milliseconds(1))
                        return sent
                    }
                }
                let seen = try await worker.run {
                    var seen = Seen()
                    // The timed-out publish no longer waits for its confirm.
                    seen.waitingAfterTimeout = try connection.core.eventLoop.submit { channel.pendingConfirms.count }.wait()
                    // The late return and ack of the lost message do not disturb later publishes.
                    try channel.basicPublish(exchange: "", routingKey: queue, body: "routable", mandatory: true)
                    seen.routable = true
                    do {
                        try channel.basicPublish(exchange: "amq.direct", routingKey: lostKey + "-2", body: "second", mandatory: true)
                    } catch let error as UnroutableError {
                        seen.unroutableKey = error.routingKey
                    }
                    try connection.processDataEvents(timeLimit: 0.5)
                    seen.returnedBodies = returned.value
                    return seen
                }
                #expect(sent.timedOut?.operation == "basic.publish and its publisher confirm")
                #expect(sent.timedOut?.seconds == 1)
                #expect(sent.waitedMs >= 1000 && sent.waitedMs < 2500, "waited \(sent.waitedMs) ms")
                #expect(seen.waitingAfterTimeout == 0, "the timed-out publish still waits for its confirm")
                #expect(seen.routable)
                #expect(seen.unroutableKey == lostKey + "-2")
                #expect(seen.returnedBodies == ["lost"], "the late return of the timed-out publish")
            }
        }

        @Test("processDataEvents(timeLimit: nil) from a callback throws instead of waiting forever; with a limit it returns")
        func nestedProcessDataEvents() async throws {
            try await withBlocking { worker, connection in
                let outcomes = Locked<[String]>([])
                let elapsed = try await worker.run {
                    try connection.addCallbackThreadsafe {
                        let start = ContinuousClock.now
                        do {
                            try connection.processDataEvents(timeLimit: nil)
                            outcomes.withLock { $0.append("nil: returned") }
                        } catch let error as ConnectionWrongStateError {
                            outcomes.withLock { $0.append(error.reason.contains("timeLimit: nil") ? "nil: refused" : "nil: \(error)") }
                        } catch {
                            outcomes.withLock { $0.append("nil: \(error)") }
                        }
                        do {
                            try connection.processDataEvents(timeLimit: 0)
                            outcomes.withLock { $0.append("0: returned") }
                        } catch {
                            outcomes.withLock { $0.append("0: \(error)") }
                        }
                        outcomes.withLock { $0.append("took \(ContinuousClock.now - start < .seconds(2))") }
                    }
                    let start = ContinuousClock.now
                    try connection.processDataEvents(timeLimit: 10)
                    return ContinuousClock.now - start
                }
                #expect(outcomes.value == ["nil: refused", "0: returned", "took true"])
                #expect(elapsed < .seconds(5))
                #expect(connection.isOpen)
            }
        }

        @Test("a consume sequence iterated on the loop: nextMessage throws BlockingCallOnEventLoopError, next() ends")
        func consumeOnLoop() async throws {
            struct Box: @unchecked Sendable { var sequence: BlockingConsumeSequence }
            try await withBlocking { worker, connection in
                let queue = Names.unique("hare-test-consume-on-loop")
                let box = try await worker.run {
                    let channel = try connection.channel()
                    try channel.queueDeclare(queue: queue, exclusive: true)
                    try channel.basicPublish(exchange: "", routingKey: queue, body: "waiting")
                    return Box(sequence: try channel.consume(queue: queue, inactivityTimeout: 5))
                }
                let outcomes = Mailbox<String>("iterating a consume sequence on the loop")
                connection.selectConnection.ioloop.addCallbackThreadsafe {
                    var sequence = box.sequence
                    do {
                        _ = try sequence.nextMessage()
                        outcomes.put("nextMessage: returned")
                    } catch let error as BlockingCallOnEventLoopError {
                        outcomes.put("nextMessage: \(error.reason.contains("consume sequence") ? "refused" : error.reason)")
                    } catch {
                        outcomes.put("nextMessage: \(error)")
                    }
                    outcomes.put("next: \(sequence.next() == nil ? "ended" : "yielded")")
                }
                #expect(try await outcomes.next(timeout: 5) == "nextMessage: refused")
                #expect(try await outcomes.next(timeout: 5) == "next: ended")
                // Off the loop the same sequence still yields the message.
                let body = try await worker.run {
                    var sequence = box.sequence
                    let message = try sequence.nextMessage() ?? nil
                    return message.map { String(buffer: $0.2) }
                }
                #expect(body == "waiting")
            }
        }

        @Test("nextMessage throws why the channel closed; next() ends; after cancel() nextMessage returns nil")
        func nextMessageThrowsOnClose() async throws {
            struct Seen: Sendable {
                var cancelled = "not run"
                var closedError = "no error"
                var nextAfterClose = "not run"
            }
            try await withBlocking { worker, connection in
                let queue = Names.unique("hare-test-next-message")
                let seen = try await worker.run {
                    var seen = Seen()
                    let channel = try connection.channel()
                    try channel.queueDeclare(queue: queue, exclusive: true)
                    var first = try channel.consume(queue: queue, inactivityTimeout: 5)
                    try channel.cancel()
                    seen.cancelled = (try first.nextMessage()).map { _ in "yielded" } ?? "ended"

                    var second = try channel.consume(queue: queue, inactivityTimeout: 5)
                    // A passive declare of a missing queue: the broker closes the channel (404).
                    _ = try? channel.queueDeclare(queue: Names.unique("hare-test-missing"), passive: true)
                    do {
                        _ = try second.nextMessage()
                    } catch let error as ChannelClosedByBroker {
                        seen.closedError = "\(error.replyCode)"
                    } catch {
                        seen.closedError = "\(error)"
                    }
                    seen.nextAfterClose = second.next() == nil ? "ended" : "yielded"
                    return seen
                }
                #expect(seen.cancelled == "ended")
                #expect(seen.closedError == "404")
                #expect(seen.nextAfterClose == "ended")
            }
        }

        @Test("close() not confirmed in time throws BlockingCallTimeout; later calls fail at once")
        func closeTimeout() async throws {
            struct Seen: Sendable {
                var closeError = "none"
                var closeMs = -1
                var isClosed = false
                var isOpen = true
                var channelOpen = "not run"
                var declare = "not run"
                var ack = "not run"
                var process = "not run"
                var closeAgain = "not run"
                var laterMs = -1
            }
            try await withBlocking(rpcTimeout: 1) { worker, connection in
                let seen = try await worker.run {
                    var seen = Seen()
                    let channel = try connection.channel()
                    stallLoop(connection, seconds: 3)
                    var start = ContinuousClock.now
                    do {
                        try connection.close()
                        seen.closeError = "returned"
                    } catch let error as BlockingCallTimeout {
                        seen.closeError = error.operation
                    } catch {
                        seen.closeError = "\(error)"
                    }
                    seen.closeMs = Int((ContinuousClock.now - start) / .milliseconds(1))
                    seen.isClosed = connection.isClosed && channel.isClosed
                    seen.isOpen = connection.isOpen || channel.isOpen
                    func name(_ body: () throws -> Void) -> String {
                        do {
                            try body()
                            return "returned"
                        } catch {
                            return "\(type(of: error))"
                        }
                    }
                    start = ContinuousClock.now
                    seen.channelOpen = name { _ = try connection.channel() }
                    seen.declare = name { try channel.queueDeclare(queue: "", exclusive: true) }
                    seen.ack = name { try channel.basicAck(deliveryTag: 1) }
                    seen.process = name { try connection.processDataEvents(timeLimit: 5) }
                    seen.closeAgain = name { try connection.close() }
                    seen.laterMs = Int((ContinuousClock.now - start) / .milliseconds(1))
                    return seen
                }
                #expect(seen.closeError == "connection.close")
                #expect(seen.closeMs >= 1000 && seen.closeMs < 2900, "close took \(seen.closeMs) ms")
                #expect(seen.isClosed)
                #expect(!seen.isOpen)
                #expect(seen.channelOpen == "ConnectionWrongStateError")
                #expect(seen.declare == "ChannelWrongStateError")
                #expect(seen.ack == "ChannelWrongStateError")
                #expect(seen.process == "ConnectionWrongStateError")
                #expect(seen.closeAgain == "ConnectionWrongStateError")
                #expect(seen.laterMs < 400, "later calls took \(seen.laterMs) ms")
            }
        }

        @Test("basicPublish waits while the broker does not read: memory stays bounded, nothing is lost")
        func publishBackpressure() async throws {
            try await withBlocking { worker, connection in
                let queue = Names.unique("hare-test-blocking-backpressure")
                let channel = try await worker.run { () -> BlockingChannel in
                    let channel = try connection.channel()
                    try channel.queueDeclare(queue: queue, exclusive: true)
                    return channel
                }
                let total = 200
                let size = 256 * 1024
                let handedOver = Locked(0)
                let publishing = try await RabbitMQCtl.withMemoryAlarm { () -> Task<Void, any Error> in
                    try await pause(1)
                    let body = ByteBuffer(repeating: 0x62, count: size)
                    // The first publish under the alarm makes the broker stop reading the socket.
                    let task = Task {
                        try await worker.run {
                            for _ in 0..<total {
                                try channel.basicPublish(exchange: "", routingKey: queue, body: body)
                                handedOver.withLock { $0 += 1 }
                            }
                        }
                    }
                    try await expectPublishingStalls(handedOver, of: total, bytesEach: size, after: 3)
                    return task
                }
                try await withTimeout(60, "the publishes after the alarm") { try await publishing.value }
                #expect(handedOver.value == total)
                let deadline = ContinuousClock.now + .seconds(15)
                var count: UInt32 = 0
                while ContinuousClock.now < deadline {
                    count = try await worker.run { try channel.queueDeclare(queue: queue, passive: true).messageCount }
                    if count == UInt32(total) { break }
                    try await pause(0.05)
                }
                #expect(count == UInt32(total))
                try await worker.run { _ = try channel.queuePurge(queue: queue) }
            }
        }
    }
}
