// RabbitMQ tutorial 4, "Routing", in Pika's callback style (SelectConnection).
//
//   tutorial-routing emit-log-direct [severity [message...]]   send a log line tagged with a
//                                                              severity ("info" by default)
//   tutorial-routing receive-logs-direct severity...           print the lines of those
//                                                              severities until Ctrl-C
//
// Connects to HARE_TEST_URL when it is set, else to Pika's defaults (localhost:5672, guest/guest).
// ExampleSupport carries the plumbing: connecting, Ctrl-C, printing, the command line.

import ExampleSupport

/// "direct_logs" is a direct exchange: it hands a message to the queues bound with exactly the
/// message's routing key, here its severity.
let directLogs = Exchange(name: "direct_logs", type: "direct")

runCommandLine("tutorial-routing", [
    // Declare the exchange and publish the line to it with the severity as routing key.
    Subcommand("emit-log-direct", "[severity [message...]]") { words in
        emitLog(messageText(from: words.dropFirst(), default: "Hello World!"), to: directLogs, routingKey: words.first ?? "info")
    },
    // Declare the exchange, bind a fresh exclusive queue to it once per severity wanted, and
    // print every line that arrives with its severity.
    Subcommand("receive-logs-direct", "severity...", arguments: 1...) { receiveLogs(from: directLogs, bindingKeys: $0) },
])
