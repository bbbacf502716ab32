// RabbitMQ tutorial 5, "Topics", with async/await.
//
//   async-tutorials topics emit-log-topic [key [message...]]   send a log line with a dotted
//                                                              routing key ("anonymous.info")
//   async-tutorials topics receive-logs-topic binding...       print the lines whose key matches
//                                                              a binding ("*" one word, "#" any)
//
// Tutorial 4's programs (Routing.swift) with a topic exchange in place of the direct one.

import ExampleSupport

/// Tutorial 5: listeners choose log lines by key pattern (a topic exchange).
enum Topics {
    /// "topic_logs" is a topic exchange: it hands a message to the queues whose binding pattern
    /// matches the message's dotted routing key ("*" stands for one word, "#" for any number).
    static let topicLogs = Exchange(name: "topic_logs", type: "topic")

    static let tutorial = Tutorial(name: "topics", roles: [
        Role(name: "emit-log-topic", synopsis: "[key [message...]]") { words in
            let key = words.first ?? "anonymous.info"
            try await PublishSubscribe.emitLog(messageText(from: words.dropFirst(), default: "Hello World!"), to: topicLogs, routingKey: key)
        },
        Role(name: "receive-logs-topic", synopsis: "binding...", arguments: 1...Int.max) { bindings in
            try await PublishSubscribe.receiveLogs(from: topicLogs, bindingKeys: bindings)
        },
    ])
}
