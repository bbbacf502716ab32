import AMQPProtocol
import Dispatch
import Hare
import NIOCore
import Testing
import HareTestSupport

extension Integration {
    /// What only the callback face promises: callbacks run on the loop, in the order the calls
    /// were made, and `ioloop.start()` parks its caller until `stop()` or the close.
    @Suite("Callback face: the I/O loop")
    struct CallbackLoopTests {
        @Test("RPC callbacks run on the loop in call order, from off the loop and from a callback")
        func rpcCallbacksInOrder() async throws {
            try await CallbackFace.withChannel { connection, channel in
                let raw = channel.channel
                let loop = connection.connection.ioloop.eventLoop
                let queue = Names.unique("hare-test-order")
                let log = Locked<[String]>([])
                let offLoop = Locked<[String]>([])
                @Sendable func note(_ step: String) {
                    if !loop.inEventLoop { offLoop.withLock { $0.append(step) } }
                    log.withLock { $0.append(step) }
                }
                // Called from this task, off the loop: each call is handed to the loop in order.
                let firstRound: [String] = try await awaitCallback("the first round of callbacks") { done in
                    raw.queueDeclare(queue: queue, exclusive: true) { _ in note("declare") }
                    raw.basicQos(prefetchCount: 10) { _ in note("qos") }
                    raw.queuePurge(queue: queue) { _ in note("purge") }
                    raw.basicGet(queue: queue) { _ in note("get") }
                    raw.flow(active: true) { _ in
                        note("flow")
                        done(.success(log.value))
                    }
                }
                #expect(firstRound == ["declare", "qos", "purge", "get", "flow"])

                // Called from a callback, on the loop.
                log.withLock { $0.removeAll() }
                let secondRound: [String] = try await awaitCallback("the second round of callbacks") { done in
                    connection.connection.ioloop.addCallbackThreadsafe {
                        note("on loop")
                        raw.queueBind(queue: queue, exchange: "amq.direct", routingKey: "order") { _ in note("bind") }
                        raw.queueUnbind(queue: queue, exchange: "amq.direct", routingKey: "order") { _ in note("unbind") }
                        raw.basicRecover(requeue: true) { _ in
                            note("recover")
                            done(.success(log.value))
                        }
                    }
                }
                #expect(secondRound == ["on loop", "bind", "unbind", "recover"])
                #expect(offLoop.value.isEmpty, "callbacks off the loop: \(offLoop.value)")
            }
        }

        @Test("whenWritable's work runs on the loop after the call returns, in call order, from the loop and off it; once the connection is closed it fails")
        func whenWritableRunsLaterInOrder() async throws {
            try await CallbackFace.withConnection { connection in
                let channel = try await connection.openChannel()
                let raw = channel.channel
                let loop = connection.connection.ioloop.eventLoop
                let log = Locked<[String]>([])
                @Sendable func note(_ step: String, _ result: Result<Void, any Error>) {
                    let outcome = (try? result.get()) != nil ? "ok" : "failed"
                    log.withLock { $0.append("\(step) \(outcome)\(loop.inEventLoop ? "" : " off the loop")") }
                }
                let steps: [String] = try await awaitCallback("whenWritable's work") { done in
                    raw.whenWritable { note("from outside", $0) }
                    connection.connection.ioloop.addCallbackThreadsafe {
                        raw.whenWritable { note("first", $0) }
                        log.withLock { $0.append("first returned") }
                        raw.whenWritable { result in
                            note("second", result)
                            done(.success(log.value))
                        }
                        log.withLock { $0.append("second returned") }
                    }
                }
                // The call from outside reached the loop first, so its work comes first; the
                // calls on the loop return before any work runs.
                #expect(steps == ["first returned", "second returned", "from outside ok", "first ok", "second ok"])

                _ = try await connection.close()
                let afterClose: [String] = try await awaitCallback("whenWritable after the close") { done in
                    log.withLock { $0.removeAll() }
                    raw.whenWritable { result in
                        note("closed", result)
                        done(.success(log.value))
                    }
                }
                #expect(afterClose == ["closed failed"])
            }
        }

        @Test("deliveries reach the consumer callback on the loop in publish order")
        func deliveriesInOrder() async throws {
            try await CallbackFace.withChannel { _, channel in
                let queue = Names.unique("hare-test-delivery-order")
                try await channel.queueDeclare(queue)
                let consumer = try await channel.consume(queue, autoAck: true)
                let count = 500
                _ = try await channel.publish((0..<count).map { OutgoingMessage(routingKey: queue, "\($0)") })
                for index in 0..<count {
                    let message = try await consumer.next()
                    guard message.bodyString == "\(index)" else {
                        Issue.record("delivery \(index) was '\(message.bodyString)'")
                        return
                    }
                }
                // CallbackChannel's checker verifies, at release, that every consumer callback ran
                // on the loop.
            }
        }

        @Test("confirm mode: basicPublish off the loop returns its number at once, mandatory or not, mixed with publishes on the loop; each number is the message's place in the queue")
        func confirmNumbersOnAndOffTheLoop() async throws {
            try await CallbackFace.withChannel { connection, channel in
                let raw = channel.channel
                let loop = connection.connection.ioloop.eventLoop
                let queue = Names.unique("hare-test-confirm-numbers")
                try await channel.queueDeclare(queue)
                try await channel.confirmSelect()
                let numbers = Locked([String: UInt64]())
                let perSide = 500
                // Off the loop (a thread of its own; every third message mandatory, numbered
                // off the loop as the others) and on it (callbacks scheduled in between), at the
                // same time.
                let offLoop = Task.detached {
                    for index in 0..<perSide {
                        let id = "off:\(index)"
                        let number = try raw.basicPublish(exchange: "", routingKey: queue, body: id, mandatory: index % 3 == 0)
                        numbers.withLock { $0[id] = number ?? 0 }
                    }
                }
                for index in 0..<perSide {
                    loop.execute {
                        let id = "on:\(index)"
                        let number = try? raw.basicPublish(exchange: "", routingKey: queue, body: id)
                        numbers.withLock { $0[id] = number ?? 0 }
                    }
                    if index % 50 == 0 { await Task.yield() }
                }
                try await offLoop.value
                // The loop ran the callbacks scheduled before this one.
                let _: Bool = try await awaitCallback("the loop's turn after the publishes") { done in
                    loop.execute { done(.success(true)) }
                }
                #expect(numbers.value.count == 2 * perSide)
                let numbered = numbers.value
                #expect(Set(numbered.values) == Set(1...UInt64(2 * perSide)), "not one number each, 1...\(2 * perSide)")
                let consumer = try await channel.consume(queue, autoAck: true)
                var misplaced: [String] = []
                for place in 1...UInt64(2 * perSide) {
                    let id = try await consumer.next().bodyString
                    if numbered[id] != place { misplaced.append("\(id) numbered \(numbered[id] ?? 0), queued \(place)") }
                }
                #expect(misplaced.isEmpty, "\(misplaced.count) misplaced: \(misplaced.prefix(5))")
            }
        }

        @Test("ioloop.callLater runs on the loop after its delay; removeTimeout cancels one")
        func callLaterAndRemoveTimeout() async throws {
            try await CallbackFace.withConnection { connection in
                let ioloop = connection.connection.ioloop
                let fired = Mailbox<String>("a callLater callback")
                let start = ContinuousClock.now
                let cancelled = ioloop.callLater(0.2) { fired.put("cancelled") }
                ioloop.callLater(0.3) {
                    #expect(ioloop.eventLoop.inEventLoop)
                    fired.put("kept")
                }
                ioloop.removeTimeout(cancelled)
                #expect(try await fired.next(timeout: 5) == "kept")
                #expect(ContinuousClock.now - start >= .milliseconds(300))
                try await pause(0.2)
                #expect(fired.drain().isEmpty, "the removed timeout ran")
            }
        }

        @Test("ioloop.start() parks the caller until stop(), and returns once the connection closed")
        func startStop() async throws {
            try await CallbackFace.withConnection { connection in
                let ioloop = connection.connection.ioloop
                let returned = Mailbox<Bool>("ioloop.start() to return")
                func startInBackground() {
                    DispatchQueue.global().async {
                        let interrupted: Bool
                        do {
                            try ioloop.start()
                            interrupted = false
                        } catch {
                            interrupted = true
                        }
                        returned.put(interrupted)
                    }
                }
                startInBackground()
                await #expect(throws: TestTimeout.self, "start() returned with the connection open") {
                    _ = try await returned.next(timeout: 0.5)
                }
                ioloop.stop()
                #expect(try await returned.next(timeout: 5) == false)
                #expect(connection.isOpen)

                // Pika's pattern: close, then start() again until the close is done.
                connection.connection.close()
                startInBackground()
                #expect(try await returned.next(timeout: 10) == false)
                let reason = try await connection.closeReason()
                #expect(reason is ConnectionClosedByClient)
                #expect(connection.connection.isClosed)
                // Once closed, start() returns at once.
                startInBackground()
                #expect(try await returned.next(timeout: 5) == false)
            }
        }
    }
}
