import AMQPProtocol
import Hare
import NIOCore

/// One consuming channel: a consumer with the run's prefetch and ack policy that records
/// each message's latency. Its mutable state lives on its connection's event loop.
final class PerfConsumer: @unchecked Sendable {
    // @unchecked: every mutable property is touched on `eventLoop` only.
    let endpoint: PerfEndpoint
    let configuration: PerfConfiguration
    let statistics: PerfStatistics
    let eventLoop: any EventLoop
    /// Called (on this consumer's loop) after each delivery.
    let onDelivery: @Sendable () -> Void

    private var unacked = 0
    private var lastTag: UInt64 = 0
    private var consumerTag = ""

    init(endpoint: PerfEndpoint, configuration: PerfConfiguration, statistics: PerfStatistics, onDelivery: @escaping @Sendable () -> Void) {
        self.endpoint = endpoint
        self.configuration = configuration
        self.statistics = statistics
        self.onDelivery = onDelivery
        eventLoop = endpoint.channel.connection.ioloop.eventLoop
    }

    /// Sets the prefetch and starts consuming `queue`; returns once the broker confirmed it.
    func start(queue: String) async throws {
        if configuration.prefetch > 0 {
            let _: AMQP.Basic.QosOk = try await endpoint.call { channel, done in
                channel.basicQos(prefetchCount: UInt16(configuration.prefetch), callback: done)
            }
        }
        let ok: AMQP.Basic.ConsumeOk = try await endpoint.call { channel, done in
            _ = channel.basicConsume(
                queue: queue, onMessageCallback: { [self] _, deliver, _, body in delivered(deliver, body: body) },
                autoAck: configuration.autoAck, arguments: PerfArgument.table(configuration.consumerArguments), callback: done
            )
        }
        consumerTag = ok.consumerTag
    }

    /// Acknowledges what a multiple-ack policy still holds back and cancels the consumer (the
    /// cancel waits at most `timeout` seconds).
    func stop(timeout: Double) async {
        let tag: String? = try? await eventLoop.submit { [self] in
            flushAcks()
            return consumerTag
        }.get()
        guard let tag else { return }
        let _: AMQP.Basic.CancelOk? = try? await endpoint.call(timeout: timeout) { channel, done in
            channel.basicCancel(consumerTag: tag, callback: done)
        }
    }

    private func delivered(_ deliver: AMQP.Basic.Deliver, body: ByteBuffer) {
        let now = NIODeadline.now().uptimeNanoseconds
        if let sentAt = PerfMessage.sentAt(body) {
            statistics.recordLatency(microseconds: now >= sentAt ? (now - sentAt) / 1000 : 0)
        }
        let received = statistics.received.add(1, ordering: .relaxed).newValue
        if received <= configuration.messageCount ?? .max {
            statistics.lastCountedDelivery.max(now, ordering: .relaxed)
        }
        if !configuration.autoAck {
            lastTag = deliver.deliveryTag
            unacked += 1
            if configuration.multiAckEvery <= 1 {
                endpoint.channel.basicAck(deliveryTag: deliver.deliveryTag)
                unacked = 0
            } else if unacked >= configuration.multiAckEvery {
                flushAcks()
            }
        }
        onDelivery()
    }

    private func flushAcks() {
        guard unacked > 0 else { return }
        endpoint.channel.basicAck(deliveryTag: lastTag, multiple: true)
        unacked = 0
    }
}
