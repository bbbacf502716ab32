// RabbitMQ tutorial 2, "Work Queues", with async/await.
//
//   async-tutorials work-queues new-task [message...]   queue a persistent task ("Hello World!")
//   async-tutorials work-queues worker                  do tasks one at a time until Ctrl-C:
//                                                       each dot in a task is a second of work

import AMQPProtocol
import ExampleSupport
import Hare
import NIOCore

/// Tutorial 2: tasks shared out among workers, acknowledged when done.
enum WorkQueues {
    static let tutorial = Tutorial(name: "work-queues", roles: [
        Role(name: "new-task", synopsis: "[message...]") { try await newTask(messageText(from: $0, default: "Hello World!")) },
        Role(name: "worker", arguments: 0...0) { _ in try await worker() },
    ])

    /// Queues `message` on the durable "task_queue" as a persistent message (delivery mode 2), so
    /// that the task survives a broker restart, and waits for the broker's confirm.
    static func newTask(_ message: String) async throws {
        var properties = AMQP.BasicProperties()
        properties.deliveryMode = 2  // persistent
        try await withChannel { channel in
            try await channel.queueDeclare(queue: "task_queue", durable: true)
            try await channel.confirmSelect()
            try await channel.publish(exchange: "", routingKey: "task_queue", body: message, properties: properties)
            say(" [x] Sent \(message)")
        }
    }

    /// Takes one task at a time from "task_queue" (prefetch 1: the broker hands a busy worker no
    /// more), "works" a second per dot (`Task.sleep` suspends, it blocks no thread), then
    /// acknowledges it, so a task whose worker dies goes to another.
    static func worker() async throws {
        try await withChannel { channel in
            try await channel.queueDeclare(queue: "task_queue", durable: true)
            try await channel.basicQos(prefetchCount: 1)
            let tasks = try await channel.basicConsume(queue: "task_queue")
            say(waitingForMessages)
            for try await task in tasks {
                let text = String(buffer: task.body)
                say(" [x] Received \(text)")
                try await Task.sleep(for: .seconds(text.count { $0 == "." }))
                say(" [x] Done")
                try await task.ack()
            }
        }
    }
}
