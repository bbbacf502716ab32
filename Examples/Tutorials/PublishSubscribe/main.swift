// RabbitMQ tutorial 3, "Publish/Subscribe", in Pika's callback style (SelectConnection).
//
//   tutorial-publish-subscribe emit-log [message...]   send a log line to every listener
//   tutorial-publish-subscribe receive-logs            print every log line until Ctrl-C
//
// Connects to HARE_TEST_URL when it is set, else to Pika's defaults (localhost:5672, guest/guest).
// ExampleSupport carries the plumbing: connecting, Ctrl-C, printing, the command line.

import ExampleSupport

/// "logs" is a fanout exchange: it copies every message to every queue bound to it, whatever
/// the routing key.
let logs = Exchange(name: "logs", type: "fanout")

runCommandLine("tutorial-publish-subscribe", [
    // Declare the exchange and publish the line to it (no routing key: fanout ignores it). With
    // no listener bound, the message is simply dropped.
    Subcommand("emit-log", "[message...]") { emitLog(messageText(from: $0, default: "info: Hello World!"), to: logs) },
    // Declare the exchange, bind a fresh exclusive queue to it, print every line that arrives.
    Subcommand("receive-logs") { _ in receiveLogs(from: logs) },
])
