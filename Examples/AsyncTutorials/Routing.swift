// RabbitMQ tutorial 4, "Routing", with async/await.
//
//   async-tutorials routing emit-log-direct [severity [message...]]   send a log line tagged with
//                                                                     a severity ("info" by default)
//   async-tutorials routing receive-logs-direct severity...           print the lines of those
//                                                                     severities until Ctrl-C
//
// Tutorial 3's programs (PublishSubscribe.swift) with a direct exchange and routing keys.

import ExampleSupport

/// Tutorial 4: listeners choose log lines by severity (a direct exchange).
enum Routing {
    /// "direct_logs" is a direct exchange: it hands a message to the queues bound with exactly
    /// the message's routing key, here its severity.
    static let directLogs = Exchange(name: "direct_logs", type: "direct")

    static let tutorial = Tutorial(name: "routing", roles: [
        // Publish the line with the severity as routing key.
        Role(name: "emit-log-direct", synopsis: "[severity [message...]]") { words in
            try await PublishSubscribe.emitLog(
                messageText(from: words.dropFirst(), default: "Hello World!"), to: directLogs, routingKey: words.first ?? "info"
            )
        },
        // Bind the queue once per severity wanted.
        Role(name: "receive-logs-direct", synopsis: "severity...", arguments: 1...Int.max) {
            try await PublishSubscribe.receiveLogs(from: directLogs, bindingKeys: $0)
        },
    ])
}
