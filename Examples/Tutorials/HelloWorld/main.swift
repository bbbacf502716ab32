// RabbitMQ tutorial 1, "Hello World!", in Pika's callback style (SelectConnection).
//
//   tutorial-hello-world send [message...]       publish "Hello World!" (or message) to "hello"
//   tutorial-hello-world receive                 print what arrives on "hello" until Ctrl-C
//   tutorial-hello-world send-to QUEUE MESSAGE   publish to an existing queue without declaring
//                                                it (scripts/check-examples feeds seed-consumer)
//
// Connects to HARE_TEST_URL when it is set, else to Pika's defaults (localhost:5672, guest/guest).
// ExampleSupport carries the plumbing: connecting, Ctrl-C, printing, the command line.

import ExampleSupport
import Hare
import NIOCore

/// Publishes `message` to `queue` through the default exchange (which routes by queue name),
/// declaring the queue first when `declare` is set. Publisher confirms tell us when the broker
/// has the message; then we close. The publish is mandatory: a message no queue takes comes back
/// (basic.return) before the confirm, and counts as not sent.
func send(_ message: String, to queue: String, declare: Bool) -> Int32 {
    publishConfirmed(
        declaring: { channel in if declare { channel.queueDeclare(queue: queue) } },
        body: message, exchange: "", routingKey: queue, mandatory: true,
        sentLine: " [x] Sent '\(message)'", failedLine: " [!] No queue '\(queue)' took '\(message)'"
    )
}

/// Declares "hello" and prints every message that arrives on it until Ctrl-C; the broker counts
/// a message acknowledged as soon as it has sent it (autoAck).
func receive() -> Int32 {
    consumeQueue("hello", autoAck: true) { _, _, _, body in
        say(" [x] Received '\(String(buffer: body))'")
    }
}

runCommandLine("tutorial-hello-world", [
    Subcommand("send", "[message...]") { send(messageText(from: $0, default: "Hello World!"), to: "hello", declare: true) },
    Subcommand("receive") { _ in receive() },
    Subcommand("send-to", "QUEUE MESSAGE", arguments: 2...2) { send($0[1], to: $0[0], declare: false) },
])
