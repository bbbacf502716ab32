import AMQPProtocol
import Hare
import NIOCore
import Testing
import HareTestSupport

/// Publisher confirms, returns, broker-side consumer cancels and large bodies.
enum DeliveryScenarios {
    /// Confirm mode: 2000 quick publishes get sequence numbers 1...2000 and every one is acked,
    /// once, through single and multiple acks.
    static func confirmEveryPublish<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { _, channel in
            let queue = Names.unique("hare-test-confirms")
            try await channel.queueDeclare(queue)
            try await channel.confirmSelect()
            let count: UInt64 = 2000
            let messages = (1...count).map { OutgoingMessage(routingKey: queue, "message \($0)") }
            let numbers = try await channel.publish(messages)
            #expect(numbers == (1...count).map { Optional($0) })
            let outcome = try await ConfirmCollector.awaitAll(1...count, on: channel)
            #expect(outcome.nacks == 0)
            #expect(outcome.duplicates.isEmpty, "tags confirmed twice: \(outcome.duplicates.prefix(10))")
            #expect(outcome.confirmed == Set(1...count))
            #expect(outcome.multiples > 0, "RabbitMQ confirmed 2000 quick publishes without one multiple ack")
            #expect(try await channel.queuePurge(queue) == UInt32(count))
        }
    }

    /// Confirm mode with a broker that refuses: a queue holding at most one message with
    /// `x-overflow: reject-publish` acks the first publish and nacks the next two.
    static func nackedPublishes<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { _, channel in
            let queue = Names.unique("hare-test-nacks")
            _ = try await channel.queueDeclare(queue, arguments: ["x-max-length": .int64(1), "x-overflow": .string("reject-publish")])
            try await channel.confirmSelect()
            let numbers = try await channel.publish((1...3).map { OutgoingMessage(routingKey: queue, "message \($0)") })
            #expect(numbers == [1, 2, 3])
            var acked: Set<UInt64> = []
            var nacked: Set<UInt64> = []
            while acked.count + nacked.count < 3 {
                let confirm = try await channel.nextConfirm(timeout: 10)
                for tag in confirm.deliveryTags {
                    if confirm.isAck { acked.insert(tag) } else { nacked.insert(tag) }
                }
            }
            #expect(acked == [1])
            #expect(nacked == [2, 3])
        }
    }

    /// An unroutable mandatory publish comes back through the return callback with 312 NO_ROUTE,
    /// its properties and body.
    static func mandatoryReturn<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withChannel { _, channel in
            let routingKey = Names.unique("hare-test-nowhere")
            var properties = AMQP.BasicProperties()
            properties.messageId = "returned-1"
            try await channel.publish(OutgoingMessage(
                exchange: "amq.direct", routingKey: routingKey, "come back", properties: properties, mandatory: true
            ))
            let returned = try await channel.nextReturn()
            #expect(returned.replyCode == 312)
            #expect(returned.replyText == "NO_ROUTE")
            #expect(returned.exchange == "amq.direct")
            #expect(returned.routingKey == routingKey)
            #expect(returned.properties.messageId == "returned-1")
            #expect(String(buffer: returned.body) == "come back")
            #expect(channel.isOpen)
        }
    }

    /// Deleting a queue under a consumer: the broker cancels the consumer and the cancel callback
    /// names it; the channel stays open.
    static func cancelOnQueueDelete<Face: TestFace>(_: Face.Type) async throws {
        try await Face.withConnection { connection in
            let consuming = try await connection.openChannel()
            let deleting = try await connection.openChannel()
            let queue = Names.unique("hare-test-cancel")
            try await consuming.queueDeclare(queue)
            let consumer = try await consuming.consume(queue)
            try await deleting.queueDelete(queue)
            let cancelled = try await consuming.nextBrokerCancel()
            #expect(cancelled == consumer.tag)
            #expect(consuming.isOpen)
            try await consuming.queueDeclare("", exclusive: true)
        }
    }

    /// A 5 MB body round-trips byte for byte with the given frame_max (it is split into body
    /// frames of at most frame_max - 8 bytes each way).
    static func largeBody<Face: TestFace>(_: Face.Type, frameMax: UInt32) async throws {
        let parameters = try Broker.parameters { $0.frameMax = frameMax }
        try await Face.withChannel(parameters) { _, channel in
            let queue = Names.unique("hare-test-large")
            try await channel.queueDeclare(queue)
            let size = 5 * 1024 * 1024
            // Blocks of a prime length, each stamped with its number, so that a lost, repeated
            // or reordered piece changes the bytes.
            let pattern = (0..<4093).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            var body = ByteBuffer()
            body.reserveCapacity(size)
            var block: UInt32 = 0
            while body.readableBytes < size {
                body.writeInteger(block)
                body.writeBytes(pattern.prefix(size - body.readableBytes))
                block += 1
            }
            try await channel.confirmSelect()
            try await channel.publish(OutgoingMessage(routingKey: queue, body: body))
            _ = try await ConfirmCollector.awaitAll(1...1, on: channel, timeout: 30)
            let message = try await channel.awaitMessage(queue, autoAck: true, timeout: 30)
            #expect(message.body.readableBytes == size)
            #expect(message.body == body, "the body came back changed")
        }
    }
}

/// Collects publisher confirms until every expected sequence number is resolved.
enum ConfirmCollector {
    struct Outcome {
        var confirmed: Set<UInt64> = []
        var duplicates: [UInt64] = []
        var acks = 0
        var nacks = 0
        /// Confirms with `multiple` set that resolved more than one tag.
        var multiples = 0
    }

    @discardableResult
    static func awaitAll(
        _ expected: ClosedRange<UInt64>, on channel: some FaceChannel, timeout: Double = 10
    ) async throws -> Outcome {
        var outcome = Outcome()
        while !expected.allSatisfy(outcome.confirmed.contains) {
            let confirm = try await channel.nextConfirm(timeout: timeout)
            if confirm.isAck { outcome.acks += 1 } else { outcome.nacks += 1 }
            if confirm.multiple && confirm.deliveryTags.count > 1 { outcome.multiples += 1 }
            #expect(confirm.deliveryTags.last == confirm.deliveryTag || confirm.deliveryTags.isEmpty)
            for tag in confirm.deliveryTags where !outcome.confirmed.insert(tag).inserted {
                outcome.duplicates.append(tag)
            }
        }
        return outcome
    }
}
