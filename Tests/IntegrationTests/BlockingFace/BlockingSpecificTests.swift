import AMQPProtocol
import Dispatch
import Hare
import NIOCore
import Testing
import HareTestSupport

extension Integration {
    /// What only the blocking face promises: the loop keeps the connection alive while the
    /// application is away, calls from the loop are refused, callbacks run on the thread that
    /// processes events, the consume generator, and Pika's confirm-mode publish errors.
    @Suite("Blocking face: blocking behaviour")
    struct BlockingSpecificTests {
        /// Opens a connection on a worker thread that does nothing but run `body`'s jobs (it
        /// never processes events by itself), runs `body`, and closes it.
        func withBlocking<T: Sendable>(
            _ parameters: ConnectionParameters? = nil,
            _ body: (BlockingWorker, BlockingConnection) async throws -> T
        ) async throws -> T {
            let parameters = try parameters ?? Broker.parameters()
            let worker = BlockingWorker(name: "hare-blocking-specific")
            defer { worker.stop() }
            let connection = try await worker.run { try BlockingConnection(parameters) }
            do {
                let result = try await body(worker, connection)
                if !connection.isClosed { try await worker.run { try connection.close() } }
                return result
            } catch {
                if !connection.isClosed { _ = try? await worker.run { try connection.close() } }
                throw error
            }
        }

        @Test("heartbeat=1: 5 s without a call into the connection, then it still works")
        func heartbeatsWithoutCalls() async throws {
            let parameters = try Broker.parameters { $0.heartbeat = 1 }
            try await withBlocking(parameters) { worker, connection in
                let channel = try await worker.run { try connection.channel() }
                try await pause(5)
                #expect(connection.isOpen)
                #expect(connection.closeReason == nil)
                let declared = try await worker.run { try channel.queueDeclare(queue: "", exclusive: true) }
                #expect(declared.queue.hasPrefix("amq.gen-"))
                #expect(connection.isOpen)
            }
        }

        @Test("a blocking call from the loop thread throws BlockingCallOnEventLoopError instead of deadlocking")
        func callFromLoopThrows() async throws {
            try await withBlocking { worker, connection in
                let channel = try await worker.run { try connection.channel() }
                let outcomes = Mailbox<String>("the outcome of a blocking call made on the loop")
                connection.selectConnection.ioloop.addCallbackThreadsafe {
                    func attempt(_ name: String, _ body: () throws -> Void) {
                        do {
                            try body()
                            outcomes.put("\(name): returned")
                        } catch let error as BlockingCallOnEventLoopError {
                            outcomes.put("\(name): \(error.reason.isEmpty ? "no reason" : "refused")")
                        } catch {
                            outcomes.put("\(name): \(error)")
                        }
                    }
                    attempt("channel") { _ = try connection.channel() }
                    attempt("queueDeclare") { try channel.queueDeclare(queue: "", exclusive: true) }
                    attempt("basicPublish") { try channel.basicPublish(exchange: "", routingKey: "nowhere", body: "x") }
                    attempt("processDataEvents") { try connection.processDataEvents(timeLimit: 1) }
                    attempt("close") { try connection.close() }
                }
                for name in ["channel", "queueDeclare", "basicPublish", "processDataEvents", "close"] {
                    #expect(try await outcomes.next(timeout: 5) == "\(name): refused")
                }
                // Nothing happened to the connection or the channel.
                #expect(connection.isOpen)
                let declared = try await worker.run { try channel.queueDeclare(queue: "", exclusive: true) }
                #expect(!declared.queue.isEmpty)
            }
        }

        @Test("consume(inactivityTimeout:) yields messages, nil on inactivity, and cancel() requeues what was not taken")
        func consumeGenerator() async throws {
            struct Seen: Sendable {
                var first: String?
                var requeuedByCancel = -1
                var endedAfterCancel = false
                var requeued: [String] = []
                var allRedelivered = true
                var idleYieldedNil = false
                var idleWaited: Duration = .zero
                var late: String?
                var secondCancel = -1
                var thirdCancel = -1
            }
            try await withBlocking { worker, connection in
                let queue = Names.unique("hare-test-generator")
                let seen = try await worker.run {
                    var seen = Seen()
                    let channel = try connection.channel()
                    try channel.queueDeclare(queue: queue, exclusive: true)
                    for index in 1...3 { try channel.basicPublish(exchange: "", routingKey: queue, body: "message \(index)") }

                    var messages = try channel.consume(queue: queue, inactivityTimeout: 5).makeIterator()
                    if let first = messages.next() ?? nil {
                        seen.first = String(buffer: first.2)
                        try channel.basicAck(deliveryTag: first.0.deliveryTag)
                    }
                    try connection.sleep(0.5)  // the other two arrive meanwhile
                    seen.requeuedByCancel = try channel.cancel()
                    seen.endedAfterCancel = messages.next() == nil

                    // The two messages were requeued.
                    let deadline = ContinuousClock.now + .seconds(5)
                    while seen.requeued.count < 2, ContinuousClock.now < deadline {
                        if let message = try channel.basicGet(queue: queue, autoAck: true) {
                            seen.allRedelivered = seen.allRedelivered && message.method.redelivered
                            seen.requeued.append(String(buffer: message.body))
                        }
                    }

                    // Inactivity yields nil; a message after it is yielded.
                    var idle = try channel.consume(queue: queue, inactivityTimeout: 0.3).makeIterator()
                    let start = ContinuousClock.now
                    if case .some(.none) = idle.next() { seen.idleYieldedNil = true }
                    seen.idleWaited = ContinuousClock.now - start
                    try channel.basicPublish(exchange: "", routingKey: queue, body: "late")
                    if let late = idle.next() ?? nil {
                        seen.late = String(buffer: late.2)
                        try channel.basicAck(deliveryTag: late.0.deliveryTag)
                    }
                    seen.secondCancel = try channel.cancel()
                    seen.thirdCancel = try channel.cancel()
                    return seen
                }
                #expect(seen.first == "message 1")
                #expect(seen.requeuedByCancel == 2)
                #expect(seen.endedAfterCancel, "the sequence went on after cancel()")
                #expect(seen.requeued == ["message 2", "message 3"])
                #expect(seen.allRedelivered)
                #expect(seen.idleYieldedNil, "the sequence did not yield nil on inactivity")
                #expect(seen.idleWaited >= .milliseconds(300))
                #expect(seen.late == "late")
                #expect(seen.secondCancel == 0)
                #expect(seen.thirdCancel == 0, "a second cancel() found a generator")
            }
        }

        @Test("startConsuming runs the consumer on the calling thread; stopConsuming from the callback ends it")
        func startAndStopConsuming() async throws {
            try await withBlocking { worker, connection in
                let queue = Names.unique("hare-test-start-consuming")
                let (received, offThread, tagsLeft, requeued, callbackErrors) = try await worker.run {
                    let channel = try connection.channel()
                    try channel.queueDeclare(queue: queue, exclusive: true)
                    try channel.basicQos(prefetchCount: 10)
                    for index in 1...5 { try channel.basicPublish(exchange: "", routingKey: queue, body: "message \(index)") }
                    var received: [String] = []
                    var offThread = 0
                    var callbackErrors: [String] = []
                    try channel.basicConsume(queue: queue, onMessageCallback: { channel, deliver, _, body in
                        if !worker.isCurrent { offThread += 1 }
                        received.append(String(buffer: body))
                        do {
                            try channel.basicAck(deliveryTag: deliver.deliveryTag)
                            if received.count == 3 { try channel.stopConsuming() }
                        } catch {
                            callbackErrors.append("\(error)")
                        }
                    })
                    // All five reach the client before dispatch starts (a plain wait: no dispatch).
                    _ = DispatchSemaphore(value: 0).wait(timeout: .now() + 0.3)
                    try channel.startConsuming()
                    // The two not handed to the callback were requeued on cancel.
                    var requeued = 0
                    let deadline = ContinuousClock.now + .seconds(5)
                    while requeued < 2, ContinuousClock.now < deadline {
                        if try channel.basicGet(queue: queue, autoAck: true) != nil { requeued += 1 }
                    }
                    return (received, offThread, channel.consumerTags.count, requeued, callbackErrors)
                }
                #expect(received == ["message 1", "message 2", "message 3"])
                #expect(offThread == 0)
                #expect(tagsLeft == 0)
                #expect(requeued == 2)
                #expect(callbackErrors.isEmpty)
            }
        }

        @Test("outside confirm mode: 5,000 publishes arrive in order; what cannot be encoded still throws at once")
        func handedOverPublishes() async throws {
            try await withBlocking { worker, connection in
                let total = 5000
                let (tooLong, received, open) = try await worker.run {
                    let channel = try connection.channel()
                    let queue = try channel.queueDeclare(queue: "", exclusive: true).queue
                    var tooLong: AMQPProtocolError?
                    do {
                        try channel.basicPublish(exchange: "", routingKey: String(repeating: "r", count: 300), body: "too long a key")
                    } catch let error as AMQPProtocolError {
                        tooLong = error
                    }
                    for index in 0..<total { try channel.basicPublish(exchange: "", routingKey: queue, body: "\(index)") }
                    var received: [Int] = []
                    let deadline = ContinuousClock.now + .seconds(30)
                    while received.count < total, ContinuousClock.now < deadline {
                        if let message = try channel.basicGet(queue: queue, autoAck: true) {
                            received.append(Int(String(buffer: message.body)) ?? -1)
                        }
                    }
                    return (tooLong, received, channel.isOpen)
                }
                #expect(tooLong != nil)
                #expect(received == Array(0..<total))
                #expect(open)
            }
        }

        @Test("confirm mode: basicPublish returns once acked, throws UnroutableError and NackError")
        func confirmModeErrors() async throws {
            try await withBlocking { worker, connection in
                let routingKey = Names.unique("hare-test-nowhere")
                let (purged, unroutable, nack, open) = try await worker.run {
                    let channel = try connection.channel()
                    try channel.confirmDelivery()
                    let queue = Names.unique("hare-test-blocking-confirms")
                    try channel.queueDeclare(queue: queue, exclusive: true)
                    for index in 1...2000 { try channel.basicPublish(exchange: "", routingKey: queue, body: "message \(index)") }
                    let purged = try channel.queuePurge(queue: queue).messageCount

                    var unroutable: UnroutableError?
                    do {
                        try channel.basicPublish(exchange: "amq.direct", routingKey: routingKey, body: "lost", mandatory: true)
                    } catch let error as UnroutableError {
                        unroutable = error
                    }
                    // Not mandatory: dropped silently, and acked.
                    try channel.basicPublish(exchange: "amq.direct", routingKey: routingKey, body: "dropped")

                    let full = Names.unique("hare-test-reject-publish")
                    try channel.queueDeclare(
                        queue: full, exclusive: true, arguments: ["x-max-length": .int64(1), "x-overflow": .string("reject-publish")]
                    )
                    try channel.basicPublish(exchange: "", routingKey: full, body: "fits")
                    var nack: NackError?
                    do {
                        try channel.basicPublish(exchange: "", routingKey: full, body: "refused")
                    } catch let error as NackError {
                        nack = error
                    }
                    return (purged, unroutable, nack, channel.isOpen && channel.isConfirmMode)
                }
                #expect(purged == 2000)
                #expect(unroutable?.replyCode == 312)
                #expect(unroutable?.routingKey == routingKey)
                #expect(nack?.deliveryTag == 2004)
                #expect(open)
            }
        }

        @Test("processDataEvents runs addCallbackThreadsafe and callLater callbacks on the calling thread")
        func callbacksRunInProcessDataEvents() async throws {
            try await withBlocking { worker, connection in
                let ran = Locked<[String]>([])
                let onWorker = Locked<[Bool]>([])
                // From other threads; nothing runs until the worker processes events.
                await withTaskGroup(of: Void.self) { group in
                    for index in 0..<3 {
                        group.addTask {
                            try? connection.addCallbackThreadsafe {
                                ran.withLock { $0.append("threadsafe \(index)") }
                                onWorker.withLock { $0.append(worker.isCurrent) }
                            }
                        }
                    }
                }
                try await pause(0.3)
                #expect(ran.value.isEmpty, "callbacks ran without processDataEvents: \(ran.value)")
                try await worker.run { try connection.processDataEvents(timeLimit: 2) }
                #expect(Set(ran.value) == ["threadsafe 0", "threadsafe 1", "threadsafe 2"])
                #expect(onWorker.value == [true, true, true])

                ran.withLock { $0.removeAll() }
                let elapsed = try await worker.run {
                    let removed = connection.callLater(0.1) { ran.withLock { $0.append("removed") } }
                    connection.callLater(0.2) {
                        ran.withLock { $0.append("later") }
                        onWorker.withLock { $0.append(worker.isCurrent) }
                    }
                    connection.removeTimeout(removed)
                    let start = ContinuousClock.now
                    try connection.sleep(0.6)
                    return ContinuousClock.now - start
                }
                #expect(ran.value == ["later"])
                #expect(onWorker.value.last == true)
                #expect(elapsed >= .milliseconds(600))
                // processDataEvents with the default time limit (0) returns at once.
                let quick = try await worker.run {
                    let start = ContinuousClock.now
                    try connection.processDataEvents()
                    return ContinuousClock.now - start
                }
                #expect(quick < .milliseconds(200))
            }
        }

        @Test("updateSecret waits for update-secret-ok")
        func updateSecret() async throws {
            try await withBlocking { worker, connection in
                let password = (try Broker.parameters().credentials as? PlainCredentials)?.password ?? "guest"
                let ok = try await worker.run { try connection.updateSecret(password, reason: "rotation test") }
                #expect(ok == AMQP.Connection.UpdateSecretOk())
                #expect(connection.isOpen)
            }
        }

        @Test("a broker close ends a blocking wait with the close error; later calls throw wrong-state errors")
        func closeWakesWaiters() async throws {
            let name = Names.unique("hare-test-blocking-close")
            try await withBlocking(try Broker.parameters(name: name)) { worker, connection in
                let channel = try await worker.run { try connection.channel() }
                let queue = Names.unique("hare-test-blocking-close-q")
                _ = try await worker.run { try channel.queueDeclare(queue: queue, exclusive: true) }
                let waited = Task {
                    try await worker.run {
                        for case let message? in try channel.consume(queue: queue) { _ = message }
                        return channel.closeReason.map { "\($0)" } ?? "no close reason"
                    }
                }
                try await pause(0.3)
                try await RabbitMQCtl.closeConnection(named: name, explanation: "closed by the Hare tests")
                let reason = try await waited.value
                #expect(reason.contains("ChannelClosedByConnection"), "\(reason)")
                #expect(connection.closeReason is ConnectionClosedByBroker)
                let errors = await worker.runCapturing {
                    [
                        Result { try channel.queueDeclare(queue: "", exclusive: true) }.map { _ in () },
                        Result { _ = try connection.channel() },
                        Result { try connection.processDataEvents() },
                    ]
                }
                #expect(errors[0].thrownError is ChannelWrongStateError, "\(errors[0])")
                #expect(errors[1].thrownError is ConnectionWrongStateError, "\(errors[1])")
                #expect(errors[2].thrownError is ConnectionClosedByBroker, "\(errors[2])")
            }
        }
    }
}

extension BlockingWorker {
    /// Runs `body` on the worker and returns its results, failures included.
    func runCapturing(_ body: @escaping @Sendable () -> [Result<Void, any Error>]) async -> [Result<Void, any Error>] {
        (try? await run(body)) ?? []
    }
}

extension Result {
    /// The error, for a failure.
    var thrownError: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
