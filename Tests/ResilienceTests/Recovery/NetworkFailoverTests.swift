import AMQPProtocol
import Foundation
import Hare
import HareTestSupport
import Testing

extension Resilience.NetworkFaults {
    @Test("a host list whose first host is down (a closed port): connect goes on to the fault broker")
    func firstHostDownAtConnect() async throws {
        let scenario = "first host down at connect"
        let expected = "connect to the second host"
        try await FaultBroker.ensureRunning()
        let port = try await ProxiedBroker.closedPort()
        let name = "first-down-\(UUID().uuidString.prefix(8))"
        let down = try FaultBroker.parameters(name: name) { $0.host = "127.0.0.1"; $0.port = port }
        let broker = try FaultBroker.parameters(name: name)
        let start = Date()
        let connection: Hare.Connection
        do {
            connection = try await withTimeout(20, "connect with the first host down") {
                try await Hare.Connection.connect([down, broker], rpcTimeout: 10, recovery: .fast)
            }
        } catch {
            FaultReport.print(scenario, expected: expected, result: "FAILED: \(error)")
            throw error
        }
        let took = Date().timeIntervalSince(start)
        #expect(connection.isOpen)
        let pids = try await FaultBroker.connectionPIDs(named: name)
        #expect(pids.count == 1, "the fault broker lists \(pids.count) connection(s) named \(name)")
        let channel = try await connection.channel()
        let queue = try await channel.queueDeclare(queue: "", exclusive: true)
        #expect(queue.queue.hasPrefix("amq.gen-"))
        try await connection.close()
        FaultReport.print(
            scenario, expected: expected,
            result: "connected to the second host in \(String(format: "%.2f", took)) s (port \(port) refused)"
        )
    }

    @Test("recovery with the first host down: [proxy, broker]; the proxy refuses and resets: recovery fails over to the broker, the channel and a consumer carry on")
    func firstHostDownDuringRecovery() async throws {
        let scenario = "first host down during recovery"
        let expected = "recover on the second host"
        try await ProxiedBroker.withProxy { proxy in
            let name = "failover-\(UUID().uuidString.prefix(8))"
            let queue = "hare-faults-\(name)"
            let hosts = [try ProxiedBroker.parameters(name: name, through: proxy), try FaultBroker.parameters(name: name)]
            let connection = try await Hare.Connection.connect(hosts, rpcTimeout: 10, recovery: .fast)
            let observer = try await Hare.Connection.connect(try FaultBroker.parameters(name: name + "-observer"), rpcTimeout: 10, recovery: .disabled)
            let events = Mailbox<RecoveryEvent>("recovery events")
            let stream = connection.recoveryEvents
            Task { for await event in stream { events.put(event) } }
            do {
                #expect(proxy.activeConnections == 1, "the first host of the list (the proxy) is used first")
                let channel = try await connection.channel()
                let numberBefore = channel.channelNumber
                try await channel.queueDeclare(queue: queue)
                let consumer = try await channel.basicConsume(queue: queue)
                let received = Mailbox<String>("deliveries")
                let consuming = Task {
                    for try await delivery in consumer {
                        try await delivery.ack()
                        received.put(String(buffer: delivery.body))
                    }
                }
                defer { consuming.cancel() }
                let publisher = try await observer.channel()
                try await publisher.basicPublish(exchange: "", routingKey: queue, body: "before")
                try #require(try await received.next(timeout: 10) == "before")
                // The ack went out before this declare on the same channel: the broker has it, so
                // nothing is redelivered after the fault.
                try #require(try await channel.queueDeclare(queue: queue, passive: true).messageCount == 0)

                proxy.refuseNew = true
                await proxy.resetAll()
                let recovery = try await expectRecovery(events, timeout: 30)
                #expect(recovery.first?.startError is StreamLostError, "started with \(FaultScenario.kind(recovery.first?.startError))")
                // One attempt tries every host once: the proxy refuses, the broker answers.
                let attempts = recovery.compactMap(\.succeededAttempts).first
                try #require(attempts == 1, "\(recovery)")
                #expect(recovery.compactMap(\.attemptError).isEmpty, "\(recovery)")
                #expect(recovery.compactMap(\.failedEntity).isEmpty, "\(recovery)")
                #expect(proxy.refusedConnections >= 1, "recovery did not try the first host")
                #expect(proxy.activeConnections == 0, "the recovered connection does not go through the proxy")
                #expect(try await FaultBroker.connectionPIDs(named: name).count == 1)

                try #require(channel.isOpen && channel.channelNumber == numberBefore)
                try await publisher.basicPublish(exchange: "", routingKey: queue, body: "after")
                let after = try await received.next(timeout: 10)
                try #require(after == "after", "the consumer got \(after) after the recovery")
                let declared = try await channel.queueDeclare(queue: queue, passive: true)
                try #require(declared.consumerCount == 1, "the consumer is back: \(declared)")
                try await publisher.queueDelete(queue: queue)
                FaultReport.print(
                    scenario, expected: expected,
                    result: "recovered on the second host in \(attempts ?? 0) attempt(s) "
                        + "(\(proxy.refusedConnections) refused by the first); channel and consumer carry on"
                )
            } catch {
                FaultReport.print(scenario, expected: expected, result: "FAILED: \(error)")
                if let channel = try? await observer.channel() { _ = try? await channel.queueDelete(queue: queue) }
                try? await connection.close()
                try? await observer.close()
                throw error
            }
            try await connection.close()
            try await observer.close()
        }
    }
}
