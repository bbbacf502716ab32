// RabbitMQ tutorial 5, "Topics", in Pika's callback style (SelectConnection).
//
//   tutorial-topics emit-log-topic [key [message...]]   send a log line with a dotted routing
//                                                       key ("anonymous.info" by default)
//   tutorial-topics receive-logs-topic binding...       print the lines whose key matches a
//                                                       binding ("*" one word, "#" any) until Ctrl-C
//
// Connects to HARE_TEST_URL when it is set, else to Pika's defaults (localhost:5672, guest/guest).
// ExampleSupport carries the plumbing: connecting, Ctrl-C, printing, the command line.
// The program is tutorial 4's with a topic exchange in place of the direct one.

import ExampleSupport

/// "topic_logs" is a topic exchange: it hands a message to the queues whose binding pattern
/// matches the message's dotted routing key ("*" stands for one word, "#" for any number).
let topicLogs = Exchange(name: "topic_logs", type: "topic")

runCommandLine("tutorial-topics", [
    // Declare the exchange and publish the line to it with the given routing key.
    Subcommand("emit-log-topic", "[key [message...]]") { words in
        emitLog(messageText(from: words.dropFirst(), default: "Hello World!"), to: topicLogs, routingKey: words.first ?? "anonymous.info")
    },
    // Declare the exchange, bind a fresh exclusive queue to it once per binding pattern, and
    // print every line that arrives with its routing key.
    Subcommand("receive-logs-topic", "binding...", arguments: 1...) { receiveLogs(from: topicLogs, bindingKeys: $0) },
])
