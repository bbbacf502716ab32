// RabbitMQ tutorial 2, "Work Queues", in Pika's callback style (SelectConnection).
//
//   tutorial-work-queues new-task [message...]   queue a persistent task ("Hello World!")
//   tutorial-work-queues worker                  do tasks one at a time until Ctrl-C: each dot
//                                                in a task is a second of work
//
// Connects to HARE_TEST_URL when it is set, else to Pika's defaults (localhost:5672, guest/guest).
// ExampleSupport carries the plumbing: connecting, Ctrl-C, printing, the command line.

import AMQPProtocol
import ExampleSupport
import Hare
import NIOCore

/// Queues `message` on the durable "task_queue" as a persistent message (delivery mode 2), so
/// that the task survives a broker restart, and waits for the broker's confirm before closing.
func newTask(_ message: String) -> Int32 {
    var properties = AMQP.BasicProperties()
    properties.deliveryMode = 2  // persistent
    return publishConfirmed(
        declaring: { channel in channel.queueDeclare(queue: "task_queue", durable: true) },
        body: message, routingKey: "task_queue", properties: properties,
        sentLine: " [x] Sent \(message)", failedLine: " [!] The broker refused \(message)"
    )
}

/// Takes one task at a time from "task_queue" (prefetch 1: the broker hands a busy worker no
/// more), "works" a second per dot without blocking the loop (callLater instead of sleep), then
/// acknowledges it, so a task whose worker dies goes to another.
func worker() -> Int32 {
    consumeQueue("task_queue", durable: true, prefetchCount: 1) { channel, method, _, body in
        let task = String(buffer: body)
        say(" [x] Received \(task)")
        let seconds = Double(task.count { $0 == "." })
        channel.connection.ioloop.callLater(seconds) {
            say(" [x] Done")
            channel.basicAck(deliveryTag: method.deliveryTag)
        }
    }
}

runCommandLine("tutorial-work-queues", [
    Subcommand("new-task", "[message...]") { newTask(messageText(from: $0, default: "Hello World!")) },
    Subcommand("worker") { _ in worker() },
])
