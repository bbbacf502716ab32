import AMQPProtocol
import Foundation
import Hare
import HareTestSupport
import NIOCore
import Testing

extension Resilience {
    /// When recovery starts and when it does not, what calls do while it runs, and how it ends.
    @Suite("Recovery behaviour")
    struct RecoveryBehaviour {
        @Test("a channel error, an application close and a failed first connect start no recovery")
        func noRecovery() async throws {
            let fixture = try await RecoveryFixture.open("no-recovery")
            let channel = try await fixture.connection.channel()
            await #expect(throws: ChannelClosedByBroker.self) {
                try await channel.queueDeclare(queue: "hare-faults-missing-\(fixture.name)", passive: true)
            }
            #expect(fixture.connection.isOpen)
            try await fixture.connection.close()
            #expect(await fixture.connection.closed() is ConnectionClosedByClient)
            try await pause(0.5)
            #expect(fixture.events.count == 0, "recovery events: \(fixture.events.drain())")
            try? await fixture.observer.close()

            // Nothing listens on the port: the first connect fails to the caller, once.
            let port = try await ProxiedBroker.closedPort()
            let started = Date()
            await #expect(throws: StreamLostError.self) {
                _ = try await Hare.Connection.connect(ConnectionParameters(host: "127.0.0.1", port: port, connectionAttempts: 1))
            }
            #expect(Date().timeIntervalSince(started) < 5)
        }

        @Test("maxAttempts: recovery gives up and the connection closes with the last error")
        func givesUp() async throws {
            let fixture = try await RecoveryFixture.open("gives-up", recovery: RecoveryOptions(
                initialDelay: 0.2, maxDelay: 0.2, jitter: 0, maxAttempts: 2
            ))
            try await FaultBroker.ctl("stop_app")
            do {
                var failures: [(attempt: Int, retryIn: Double?)] = []
                let first = try await fixture.events.next(timeout: 20)
                guard case .started = first else { throw ScenarioFailure("first event \(first)") }
                while failures.count < 2 {
                    let event = try await fixture.events.next(timeout: 20)
                    if case .attemptFailed(let attempt, _, let retryIn) = event { failures.append((attempt, retryIn)) }
                }
                #expect(failures.map(\.attempt) == [1, 2])
                #expect(failures[0].retryIn != nil)
                #expect(failures[1].retryIn == nil)
                let reason = try await withTimeout(10, "the connection to close") { await fixture.connection.closed() }
                #expect(reason is StreamLostError, "closed with \(reason)")
                #expect(!fixture.connection.isOpen && !fixture.connection.isRecovering)
            } catch {
                _ = try? await FaultBroker.ctl("start_app")
                throw error
            }
            try await FaultBroker.ctl("start_app")
            try await FaultBroker.awaitStartup()
            try? await fixture.observer.close()
        }

        @Test("the credentials provider is asked before every connection attempt")
        func credentialsProvider() async throws {
            let asked = Locked(0)
            let fixture = try await RecoveryFixture.open("credentials") { parameters in
                parameters.credentialsProvider = {
                    asked.withLock { $0 += 1 }
                    return PlainCredentials(username: "guest", password: "guest")
                }
            }
            #expect(asked.value == 1)
            try await fixture.forceRecovery()
            #expect(asked.value == 2)
            await fixture.close()

            // What the provider gives must fit in start-ok, as static credentials must.
            await #expect(throws: ParametersError.self) {
                _ = try await Hare.Connection.connect(try FaultBroker.parameters(name: "credentials-too-large") { parameters in
                    parameters.credentialsProvider = { PlainCredentials(username: "guest", password: String(repeating: "x", count: 5000)) }
                })
            }
        }

        @Test("while recovering: failFast refuses a publish at once; wait holds it until the connection is back, or fails it after its timeout")
        func whileRecovering() async throws {
            let slow = { (policy: RecoveryOptions.WhileRecovering) in
                RecoveryOptions(initialDelay: 2, maxDelay: 2, jitter: 0, whileRecovering: policy)
            }
            for (policy, expectFailure) in [(RecoveryOptions.WhileRecovering.failFast, true), (.wait(timeout: 0.3), true), (.wait(timeout: 30), false)] {
                let fixture = try await RecoveryFixture.open("while-recovering", recovery: slow(policy))
                let channel = try await fixture.connection.channel()
                let queue = "hare-faults-held-\(fixture.name)"
                try await channel.queueDeclare(queue: queue)
                try await FaultBroker.closeConnections(named: fixture.name)
                try await waitUntil("the connection to start recovering") { fixture.connection.isRecovering }
                let started = Date()
                do {
                    try await channel.basicPublish(exchange: "", routingKey: queue, body: "held")
                    #expect(!expectFailure, "\(policy): the publish went out during recovery")
                    #expect(fixture.connection.isOpen, "\(policy): the publish returned before the connection was back")
                    _ = try await expectRecovery(fixture.events)
                    #expect(try await RecoveryFixture.messageCount(queue, on: channel, reaching: 1) == 1)
                } catch let error as ConnectionRecoveringError {
                    #expect(expectFailure, "\(policy): \(error)")
                    let waited = Date().timeIntervalSince(started)
                    if case .wait(let timeout) = policy {
                        #expect(waited >= timeout * 0.9 && waited < 1.9, "\(policy): failed after \(waited) s")
                    } else {
                        #expect(waited < 0.5, "\(policy): failed after \(waited) s")
                    }
                    _ = try await expectRecovery(fixture.events)
                }
                // Once back, publishing works whatever the policy.
                try await channel.basicPublish(exchange: "", routingKey: queue, body: "after")
                let expected: UInt32 = expectFailure ? 1 : 2
                #expect(try await RecoveryFixture.messageCount(queue, on: channel, reaching: expected) == expected)
                try await channel.queueDelete(queue: queue)
                await fixture.close()
            }
        }

        @Test("a channel opened and a consumer started while the connection recovers start once it is back")
        func consumeWhileRecovering() async throws {
            let fixture = try await RecoveryFixture.open("consume-while-recovering", recovery: RecoveryOptions(
                initialDelay: 1, maxDelay: 1, jitter: 0, whileRecovering: .wait(timeout: 30)
            ))
            let queue = "hare-faults-late-\(fixture.name)"
            let setup = try await fixture.connection.channel()
            try await setup.queueDeclare(queue: queue)
            try await FaultBroker.closeConnections(named: fixture.name)
            try await waitUntil("the connection to start recovering") { fixture.connection.isRecovering }
            // On the channel that waits to be reopened: the consumer must not be mistaken for
            // one recovery failed to restart.
            let consumer = try await setup.basicConsume(queue: queue)
            #expect(fixture.connection.isOpen)
            let channel = try await fixture.connection.channel()
            #expect(channel.isOpen)
            _ = try await expectRecovery(fixture.events)
            let observer = try await fixture.observer.channel()
            try await observer.basicPublish(exchange: "", routingKey: queue, body: "late consumer")
            #expect(try await RecoveryFixture.nextBody(of: consumer, "a delivery to the late consumer") == "late consumer")
            try await observer.queueDelete(queue: queue)
            await fixture.close()
        }

        @Test("an application close during recovery ends it: the connection, its channels and consumers close with the application's reason")
        func closeWhileRecovering() async throws {
            let fixture = try await RecoveryFixture.open("close-while-recovering", recovery: RecoveryOptions(initialDelay: 10, maxDelay: 10, jitter: 0))
            let channel = try await fixture.connection.channel()
            let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
            let consumer = try await channel.basicConsume(queue: queue)
            try await FaultBroker.closeConnections(named: fixture.name)
            try await waitUntil("the connection to start recovering") { fixture.connection.isRecovering }
            try await withTimeout(5, "close() during recovery") { try await fixture.connection.close(replyText: "bye") }
            let reason = await fixture.connection.closed()
            #expect((reason as? ConnectionClosedByClient)?.replyText == "bye", "\(reason)")
            #expect(await channel.closed() is ChannelClosedByClient)
            await #expect(throws: ChannelClosedByClient.self) {
                for try await _ in consumer {}
            }
            #expect(!fixture.connection.isRecovering)
            try? await fixture.observer.close()
        }

        @Test("a close from inside the loss's own callbacks ends the connection: onClose gets ConnectionClosedByClient")
        func closeFromLossCallback() async throws {
            try await FaultBroker.ensureRunning()
            let name = "close-in-callback-\(UUID().uuidString.prefix(8))"
            let opened = Mailbox<Bool>("the connection to open")
            let closes = Mailbox<String>("onClose")
            let connection = SelectConnection(
                parameters: try FaultBroker.parameters(name: name),
                onOpen: { _ in opened.put(true) },
                onClose: { _, error in closes.put("\(type(of: error))") },
                recovery: .fast
            )
            connection.addOnRecoveryCallback { connection, event in
                if case .started = event { connection.close(replyText: "closed while the loss was reported") }
            }
            _ = try await opened.next(timeout: 20)
            try await FaultBroker.closeConnections(named: name)
            #expect(try await closes.next(timeout: 10) == "ConnectionClosedByClient")
            #expect(connection.isClosed && !connection.isRecovering)
        }

        @Test("a consumer cancelled while its channel waits to be reopened is cancelled at once and not restarted")
        func cancelWhileRecovering() async throws {
            let fixture = try await RecoveryFixture.open("cancel-while-recovering", recovery: RecoveryOptions(
                initialDelay: 2, maxDelay: 2, jitter: 0, whileRecovering: .failFast
            ))
            let queue = "hare-faults-cancelled-\(fixture.name)"
            let channel = try await fixture.connection.channel()
            try await channel.queueDeclare(queue: queue)
            let consumer = try await channel.basicConsume(queue: queue)
            try await FaultBroker.closeConnections(named: fixture.name)
            try await waitUntil("the channel to wait for recovery") { channel.isRecovering }
            let ok = try await withTimeout(2, "basicCancel during recovery") { try await channel.basicCancel(consumerTag: consumer.consumerTag) }
            #expect(ok.consumerTag == consumer.consumerTag)
            _ = try await expectRecovery(fixture.events)
            let consumers = try await FaultBroker.ctl("list_consumers", "--no-table-headers", "queue_name", "consumer_tag")
            #expect(!consumers.contains(consumer.consumerTag), "the cancelled consumer came back: \(consumers)")
            for try await _ in consumer {}  // ended by the cancel
            try await channel.queueDelete(queue: queue)
            await fixture.close()
        }

        @Test("a transaction the loss interrupted: the first commit after recovery fails with TransactionLost and rolls back")
        func transactionLost() async throws {
            let fixture = try await RecoveryFixture.open("tx-lost")
            let queue = "hare-faults-tx-\(fixture.name)"
            let channel = try await fixture.connection.channel()
            try await channel.queueDeclare(queue: queue)
            try await channel.txSelect()
            try await channel.basicPublish(exchange: "", routingKey: queue, body: "before the loss")
            try await fixture.forceRecovery()
            try await channel.basicPublish(exchange: "", routingKey: queue, body: "after the loss")
            await #expect(throws: TransactionLost(rolledBack: true)) { try await channel.txCommit() }
            #expect(try await RecoveryFixture.messageCount(queue, on: channel, reaching: 0) == 0)
            try await channel.basicPublish(exchange: "", routingKey: queue, body: "again")
            try await channel.txCommit()
            #expect(try await RecoveryFixture.messageCount(queue, on: channel, reaching: 1) == 1)
            try await channel.queueDelete(queue: queue)
            try await channel.txCommit()
            await fixture.close()
        }

        @Test("publishes whose confirms were outstanding at the loss fail with PublishConfirmLost; republished, they are confirmed")
        func confirmsLost() async throws {
            let fixture = try await RecoveryFixture.open("confirms-lost")
            let channel = try await fixture.connection.channel()
            try await channel.confirmSelect()
            let queue = "hare-faults-confirms-\(fixture.name)"
            try await channel.queueDeclare(queue: queue)
            // Under a memory alarm the broker reads no publishes: their confirms stay outstanding.
            try await FaultBroker.ctl("set_vm_memory_high_watermark", "0")
            let outcomes = Locked<[String]>([])
            let publishes = Task {
                await withTaskGroup(of: String.self) { group in
                    for index in 0..<5 {
                        group.addTask {
                            do {
                                try await channel.publish(exchange: "", routingKey: queue, body: "\(index)")
                                return "confirmed"
                            } catch {
                                return "\(type(of: error))"
                            }
                        }
                    }
                    for await outcome in group { outcomes.withLock { $0.append(outcome) } }
                }
            }
            do {
                try await pause(1)
                #expect(outcomes.value.isEmpty, "confirmed under the alarm: \(outcomes.value)")
                try await FaultBroker.closeConnections(named: fixture.name)
                await publishes.value
            } catch {
                _ = try? await FaultBroker.ctl("set_vm_memory_high_watermark", "0.4")
                throw error
            }
            try await FaultBroker.ctl("set_vm_memory_high_watermark", "0.4")
            #expect(outcomes.value == Array(repeating: "PublishConfirmLost", count: 5))
            _ = try await expectRecovery(fixture.events)
            try await channel.publish(exchange: "", routingKey: queue, body: "again")
            try await channel.queueDelete(queue: queue)
            await fixture.close()
        }

        @Test("delivery tags continue after a recovery; acks for the lost connection's deliveries are dropped, not sent")
        func deliveryTagsContinue() async throws {
            let fixture = try await RecoveryFixture.open("tags")
            let queue = "hare-faults-tags-\(fixture.name)"
            let observer = try await fixture.observer.channel()
            try await observer.queueDeclare(queue: queue)
            for index in 0..<3 { try await observer.basicPublish(exchange: "", routingKey: queue, body: "\(index)") }
            let channel = try await fixture.connection.channel()
            try await channel.basicQos(prefetchCount: 10)
            let consumer = try await channel.basicConsume(queue: queue)
            let tags = try await withTimeout(10, "six deliveries") {
                var tags: [(UInt64, Bool)] = []
                for try await delivery in consumer {
                    tags.append((delivery.deliveryTag, delivery.redelivered))
                    if tags.count == 3 {
                        // Unacknowledged: the loss requeues them and the new connection redelivers.
                        try await FaultBroker.closeConnections(named: fixture.name)
                        _ = try await expectRecovery(fixture.events)
                        try await delivery.ack()  // a tag of the lost connection: dropped
                    }
                    if tags.count == 6 { break }
                }
                return tags
            }
            #expect(tags.map(\.0) == [1, 2, 3, 4, 5, 6])
            #expect(tags.map(\.1) == [false, false, false, true, true, true])
            try await channel.basicAck(deliveryTag: 6, multiple: true)
            var settled = false
            for _ in 0..<50 where !settled {
                let listing = try await FaultBroker.ctl("list_queues", "--no-table-headers", "name", "messages", "messages_unacknowledged")
                settled = listing.split(separator: "\n").contains { $0.hasPrefix(queue) && $0.hasSuffix("\t0\t0") }
                if !settled { try await pause(0.2) }
            }
            #expect(settled, "messages are left in \(queue) or unacknowledged")
            #expect(channel.isOpen, "a stale ack reached the broker and closed the channel")
            try await observer.queueDelete(queue: queue)
            await fixture.close()
        }

        @Test("the callback face recovers when asked: SelectConnection reports recovery through its callbacks and its consumer carries on")
        func callbackFace() async throws {
            try await FaultBroker.ensureRunning()
            let name = "callback-\(UUID().uuidString.prefix(8))"
            let events = Mailbox<String>("callback recovery events")
            let deliveries = Mailbox<String>("callback deliveries")
            let ready = Mailbox<String>("the callback consumer's queue")
            let connection = SelectConnection(
                parameters: try FaultBroker.parameters(name: name),
                onOpen: { connection in
                    connection.channel { channel in
                        channel.queueDeclare(queue: "", exclusive: true) { result in
                            guard case .success(let ok) = result else { return }
                            channel.basicConsume(queue: ok.queue, onMessageCallback: { channel, deliver, _, body in
                                deliveries.put(String(buffer: body))
                                channel.basicAck(deliveryTag: deliver.deliveryTag)
                            }, callback: { _ in ready.put(ok.queue) })
                        }
                    }
                },
                recovery: .fast
            )
            connection.addOnRecoveryCallback { _, event in
                switch event {
                case .started: events.put("started")
                case .queueNameChanged(_, let new): events.put("renamed:\(new)")
                case .succeeded: events.put("succeeded")
                default: events.put("other")
                }
            }
            let old = try await ready.next()
            try await FaultBroker.closeConnections(named: name)
            #expect(try await events.next(timeout: 20) == "started")
            let renamed = try await events.next(timeout: 20)
            #expect(renamed.hasPrefix("renamed:") && renamed != "renamed:\(old)", "\(renamed)")
            #expect(try await events.next(timeout: 20) == "succeeded")
            let observer = try await Hare.Connection.connect(try FaultBroker.parameters(name: name + "-observer"), recovery: .disabled)
            let channel = try await observer.channel()
            try await channel.basicPublish(exchange: "", routingKey: String(renamed.dropFirst("renamed:".count)), body: "to the recovered consumer")
            #expect(try await deliveries.next() == "to the recovered consumer")
            connection.close()
            try await observer.close()
        }

        @Test("the blocking face recovers when asked: calls made while it recovers wait for it")
        func blockingFace() async throws {
            try await FaultBroker.ensureRunning()
            let name = "blocking-\(UUID().uuidString.prefix(8))"
            let parameters = try FaultBroker.parameters(name: name)
            let ready = Mailbox<Bool>("the blocking connection to be ready")
            let outcome = Mailbox<Result<String?, any Error>>("the blocking face's outcome")
            // The blocking face blocks its thread: give it one of its own.
            Thread.detachNewThread { outcome.put(Result { () throws -> String? in
                let connection = try BlockingConnection(parameters, recovery: .fast)
                var seen: [String] = []
                connection.addOnRecoveryCallback { _, event in
                    if case .started = event { seen.append("started") }
                    if case .succeeded = event { seen.append("succeeded") }
                }
                let channel = try connection.channel()
                _ = try channel.queueDeclare(queue: "", exclusive: true)
                ready.put(true)
                let deadline = Date().addingTimeInterval(20)
                while connection.isOpen, Date() < deadline { try connection.processDataEvents(timeLimit: 0.05) }
                // Recovering now: the calls below wait until the connection is back.
                let queue = try channel.queueDeclare(queue: "", exclusive: true).queue
                try channel.basicPublish(exchange: "", routingKey: queue, body: "blocking after recovery")
                var got: String?
                for _ in 0..<50 where got == nil {
                    got = try channel.basicGet(queue: queue, autoAck: true).map { String(buffer: $0.body) }
                    if got == nil { Thread.sleep(forTimeInterval: 0.05) }
                }
                for _ in 0..<40 where seen.count < 2 { try connection.processDataEvents(timeLimit: 0.05) }
                guard seen == ["started", "succeeded"] else { throw ScenarioFailure("recovery callbacks: \(seen)") }
                try connection.close()
                return got
            }) }
            _ = try await ready.next(timeout: 20)
            try await FaultBroker.closeConnections(named: name)
            #expect(try await outcome.next(timeout: 60).get() == "blocking after recovery")
        }
    }
}
