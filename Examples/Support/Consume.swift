// Consuming: starting a consumer, and a whole program that consumes from one queue.

import AMQPProtocol
import Hare
import NIOCore

/// What a consumer does with each message: the channel, basic.deliver (delivery tag, routing
/// key, ...), the properties and the body.
public typealias MessageHandler = (SelectChannel, AMQP.Basic.Deliver, AMQP.BasicProperties, ByteBuffer) -> Void

/// The line a queue consumer prints once it is ready.
public let waitingForMessages = " [*] Waiting for messages. To exit press CTRL+C"

/// Starts a consumer on `queue` (basic.consume) and prints `announcement` once the broker has
/// registered it: from then on, messages arrive.
///
/// - Parameters:
///   - autoAck: the broker counts a message acknowledged once it has sent it; otherwise
///     `onMessage` acknowledges.
public func consume(
    _ queue: String, on channel: SelectChannel, autoAck: Bool, announcing announcement: String,
    onMessage: @escaping MessageHandler
) {
    channel.basicConsume(queue: queue, onMessageCallback: onMessage, autoAck: autoAck) { result in
        guard case .success = result else { return }
        say(announcement)
    }
}

/// Runs a program that declares `queue` and hands every message on it to `onMessage` until
/// Ctrl-C.
///
/// - Parameters:
///   - queue: the queue to declare and consume from.
///   - durable: declare it durable, so that it survives a broker restart.
///   - prefetchCount: when set, the broker sends at most this many unacknowledged messages at a
///     time (basic.qos), so a busy consumer is not handed more work than it can do.
///   - autoAck: see `consume(_:on:autoAck:announcing:onMessage:)`.
///   - announcement: printed once the consumer is registered.
/// - Returns: the exit status: 0 when Ctrl-C ended the program, 1 when the connection closed (or
///   failed to open) on its own.
public func consumeQueue(
    _ queue: String, durable: Bool = false, prefetchCount: UInt16? = nil, autoAck: Bool = false,
    announcing announcement: String = waitingForMessages, onMessage: @escaping MessageHandler
) -> Int32 {
    let connection = openChannel { channel in
        channel.queueDeclare(queue: queue, durable: durable)
        if let prefetchCount { channel.basicQos(prefetchCount: prefetchCount) }
        consume(queue, on: channel, autoAck: autoAck, announcing: announcement, onMessage: onMessage)
    }
    return runUntilClosed(connection) ? 0 : 1
}
