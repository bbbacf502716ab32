import AMQPProtocol
import Hare
import NIOCore
import Testing

@testable import Hare

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// Receive coalescing (`TCPOptions.receiveCoalescingBytes`) against the broker: it engages
    /// on a fast stream, loses and reorders nothing, lets go when the stream stops short of the
    /// watermark (so a consumer is never stalled for longer than about two delays), and leaves
    /// large messages one at a time alone. (This machine's Linux is 4.18 or later.)
    @Suite("Receive coalescing")
    struct ReceiveCoalescingTests {
        /// Longer than any wait between two deliveries here, even under the thread sanitizer,
        /// and far shorter than a stall that only the broker's next bytes would end.
        static let stall = Duration.seconds(2)

        /// The longest time between two deliveries.
        struct Gaps {
            private var last = ContinuousClock.now
            private(set) var longest = Duration.zero

            mutating func note() {
                let now = ContinuousClock.now
                longest = max(longest, now - last)
                last = now
            }
        }

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
                var gaps = Gaps()
                for index in 0..<count {
                    let message = try await consumer.next()
                    gaps.note()
                    guard message.bodyString == "\(index) \(padding)" else {
                        Issue.record("delivery \(index) was '\(message.bodyString.prefix(20))'")
                        return
                    }
                }
                #expect(try await engagements(connection) >= 1)
                #expect(gaps.longest < Self.stall, "a delivery waited \(gaps.longest)")
            }
        }

        @Test("a stream that stops short of the watermark is let go after the delay: no stall")
        func streamStoppingShortIsNotStalled() async throws {
            // The loop is held up while the broker sends the first window of 100 deliveries
            // (about 300 bytes each), so the next read brings many at once and engages a
            // watermark of 4 KiB. The last 5 messages, sent as the first are acked, are less than
            // that: only letting go after the 5 ms delay lets the consumer read them.
            let parameters = try Broker.parameters {
                $0.tcpOptions = TCPOptions(receiveCoalescingBytes: 4096, receiveCoalescingDelay: 0.005)
            }
            try await CallbackFace.withChannel(parameters) { connection, channel in
                let queue = Names.unique("hare-test-coalescing-tail")
                try await channel.queueDeclare(queue)
                try await channel.basicQos(prefetchCount: 100)
                let count = 105
                let padding = String(repeating: "y", count: 200)
                let bodies = (0..<count).map { "\($0) \(padding)" }
                _ = try await channel.publish(bodies.map { OutgoingMessage(routingKey: queue, $0) })
                let loop = connection.connection.ioloop.eventLoop
                let consumer = try await channel.consume(queue, autoAck: false)
                loop.execute { usleep(100_000) }  // the loop is held up; the window piles up
                var gaps = Gaps()
                for index in 0..<count {
                    let message = try await consumer.next(timeout: 5)
                    if index > 0 { gaps.note() } else { gaps = Gaps() }  // not the held-up loop's
                    #expect(message.bodyString == bodies[index])
                    try await channel.ack(message.deliveryTag, multiple: false)
                }
                #expect(try await engagements(connection) >= 1)
                #expect(gaps.longest < Self.stall, "a delivery waited \(gaps.longest)")
            }
        }

        @Test("one large message at a time (a prefetch of 1) never engages it")
        func largeMessagesOneAtATime() async throws {
            try await CallbackFace.withChannel { connection, channel in
                let queue = Names.unique("hare-test-coalescing-large")
                try await channel.queueDeclare(queue)
                try await channel.basicQos(prefetchCount: 1)
                let count = 20
                let body = String(repeating: "z", count: 40_000)
                _ = try await channel.publish((0..<count).map { OutgoingMessage(routingKey: queue, "\($0)" + body) })
                let consumer = try await channel.consume(queue, autoAck: false)
                for index in 0..<count {
                    let message = try await consumer.next(timeout: 5)
                    #expect(message.bodyString.hasPrefix("\(index)z"))
                    try await channel.ack(message.deliveryTag, multiple: false)
                }
                #expect(try await engagements(connection) == 0)
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
