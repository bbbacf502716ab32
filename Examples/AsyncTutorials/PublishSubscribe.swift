// RabbitMQ tutorial 3, "Publish/Subscribe", with async/await.
//
//   async-tutorials publish-subscribe emit-log [message...]   send a log line to every listener
//   async-tutorials publish-subscribe receive-logs            print every log line until Ctrl-C
//
// Tutorials 4 and 5 use `emitLog` and `receiveLogs` too, with other exchanges and routing keys.

import ExampleSupport
import Hare
import NIOCore

/// Tutorial 3: every listener gets every log line (a fanout exchange).
enum PublishSubscribe {
    /// "logs" is a fanout exchange: it copies every message to every queue bound to it, whatever
    /// the routing key.
    static let logs = Exchange(name: "logs", type: "fanout")

    static let tutorial = Tutorial(name: "publish-subscribe", roles: [
        Role(name: "emit-log", synopsis: "[message...]") { try await emitLog(messageText(from: $0, default: "info: Hello World!"), to: logs) },
        Role(name: "receive-logs", arguments: 0...0) { _ in try await receiveLogs(from: logs) },
    ])

    /// Declares `exchange` and publishes `message` to it with `routingKey` (none for a fanout
    /// exchange), waiting for the broker's confirm. With no queue bound, the message is dropped.
    /// Prints " [x] Sent message", or " [x] Sent key:message" with a key.
    static func emitLog(_ message: String, to exchange: Exchange, routingKey: String? = nil) async throws {
        try await withChannel { channel in
            try await channel.exchangeDeclare(exchange: exchange.name, exchangeType: exchange.type)
            try await channel.confirmSelect()
            try await channel.publish(exchange: exchange.name, routingKey: routingKey ?? "", body: message)
            say(" [x] Sent " + (routingKey.map { "\($0):" } ?? "") + message)
        }
    }

    /// Declares `exchange`, binds a fresh exclusive queue to it (named by the broker, deleted when
    /// we disconnect) once per binding key, or once without a key when `bindingKeys` is nil, and
    /// prints every message that arrives until Ctrl-C, with its routing key when there are keys.
    static func receiveLogs(from exchange: Exchange, bindingKeys: [String]? = nil) async throws {
        try await withChannel { channel in
            try await channel.exchangeDeclare(exchange: exchange.name, exchangeType: exchange.type)
            let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
            for key in bindingKeys ?? [""] {
                try await channel.queueBind(queue: queue, exchange: exchange.name, routingKey: key)
            }
            let lines = try await channel.basicConsume(queue: queue, autoAck: true)
            say(" [*] Waiting for logs. To exit press CTRL+C")
            for try await line in lines {
                say(" [x] " + (bindingKeys == nil ? "" : "\(line.routingKey):") + String(buffer: line.body))
            }
        }
    }
}
