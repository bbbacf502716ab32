import AMQPProtocol
import Hare
import NIOCore
import Testing

@testable import Hare

extension Integration {
    /// Receive coalescing (`TCPOptions.receiveCoalescingBytes`) against the broker: it engages
    /// on a fast stream, loses and reorders nothing, and lets go when the stream stops short of
    /// the watermark, so a consumer is never stalled for longer than its delay.
    @Suite("Receive coalescing")
    struct ReceiveCoalescingTests {
        /// How many times the connection's coalescer engaged so far (read on its loop).
        func engagements(_ connection: CallbackConnection) async throws -> Int {
            let select = connection.connection
            return try await select.ioloop.eventLoop.submit { select.handler?.receiveCoalescer.engagements ?? -1 }.get()
        }

        @Test("a fast stream of deliveries engages it; every message arrives once, in order")
        func fastStream() async throws {
            try await CallbackFace.withChannel { connection, channel in
                let queue = Names.unique("hare-test-coalescing")
                try await channel.queueDeclare(queue)
                let count = 20_000
                let padding = String(repeating: "x", count: 100)
                _ = try await channel.publish((0..<count).map { OutgoingMessage(routingKey: queue, "\($0) \(padding)") })
                let consumer = try await channel.consume(queue, autoAck: true)
                for index in 0..<count {
                    let message = try await consumer.next()
                    guard message.bodyString == "\(index) \(padding)" else {
                        Issue.record("delivery \(index) was '\(message.bodyString.prefix(20))'")
                        return
                    }
                }
                #expect(try await engagements(connection) >= 1)
            }
        }

        @Test("engaged above what a prefetch of 1 lets the broker send, it lets go after its delay: no stall")
        func smallPrefetchIsNotStalled() async throws {
            // With a prefetch of 1, a large delivery (2,000 bytes) engages a watermark of half
            // its size, which the small one after it (about 200 bytes) never reaches alone:
            // only letting go after the 5 ms delay lets the consumer read it.
            let parameters = try Broker.parameters {
                $0.tcpOptions = TCPOptions(receiveCoalescingBytes: 4096, receiveCoalescingDelay: 0.005)
            }
            try await CallbackFace.withChannel(parameters) { connection, channel in
                let queue = Names.unique("hare-test-coalescing-prefetch")
                try await channel.queueDeclare(queue)
                try await channel.basicQos(prefetchCount: 1)
                let count = 40
                let large = String(repeating: "y", count: 2000)
                let bodies = (0..<count).map { $0 % 2 == 0 ? "\($0) \(large)" : "\($0) small" }
                _ = try await channel.publish(bodies.map { OutgoingMessage(routingKey: queue, $0) })
                let consumer = try await channel.consume(queue, autoAck: false)
                let start = ContinuousClock.now
                for index in 0..<count {
                    let message = try await consumer.next(timeout: 5)
                    #expect(message.bodyString == bodies[index])
                    try await channel.ack(message.deliveryTag, multiple: false)
                }
                let elapsed = ContinuousClock.now - start
                #expect(try await engagements(connection) >= count / 4)
                // At most about two delays per message, with room for a slow machine.
                #expect(elapsed < .seconds(Double(count) * 0.005 * 2 + 5))
            }
        }

        @Test("0 bytes turns it off")
        func off() async throws {
            let parameters = try Broker.parameters { $0.tcpOptions = TCPOptions(receiveCoalescingBytes: 0) }
            try await CallbackFace.withChannel(parameters) { connection, channel in
                let queue = Names.unique("hare-test-coalescing-off")
                try await channel.queueDeclare(queue)
                let count = 5_000
                _ = try await channel.publish((0..<count).map { OutgoingMessage(routingKey: queue, "\($0)") })
                let consumer = try await channel.consume(queue, autoAck: true)
                for _ in 0..<count { _ = try await consumer.next() }
                #expect(try await engagements(connection) == 0)
            }
        }
    }
}
