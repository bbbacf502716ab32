// RabbitMQ tutorial 1, "Hello World!", with async/await.
//
//   async-tutorials hello-world send [message...]   publish "Hello World!" (or message) to "hello"
//   async-tutorials hello-world receive             print what arrives on "hello" until Ctrl-C

import ExampleSupport
import Hare
import NIOCore

/// Tutorial 1: a producer and a consumer of one queue.
enum HelloWorld {
    static let tutorial = Tutorial(name: "hello-world", roles: [
        Role(name: "send", synopsis: "[message...]") { try await send(messageText(from: $0, default: "Hello World!")) },
        Role(name: "receive", arguments: 0...0) { _ in try await receive() },
    ])

    /// Declares "hello" and publishes `message` to it through the default exchange (which routes
    /// by queue name). In confirm mode, `publish` returns once the broker has the message.
    static func send(_ message: String) async throws {
        try await withChannel { channel in
            try await channel.queueDeclare(queue: "hello")
            try await channel.confirmSelect()
            try await channel.publish(exchange: "", routingKey: "hello", body: message)
            say(" [x] Sent '\(message)'")
        }
    }

    /// Declares "hello" and prints every message that arrives on it until Ctrl-C; the broker
    /// counts a message acknowledged as soon as it has sent it (autoAck).
    static func receive() async throws {
        try await withChannel { channel in
            try await channel.queueDeclare(queue: "hello")
            let messages = try await channel.basicConsume(queue: "hello", autoAck: true)
            say(waitingForMessages)
            for try await message in messages {
                say(" [x] Received '\(String(buffer: message.body))'")
            }
        }
    }
}
