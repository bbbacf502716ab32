// RabbitMQ tutorial 6, "RPC", in Pika's callback style (SelectConnection).
//
//   tutorial-rpc server       answer fib(n) requests on "rpc_queue" until Ctrl-C
//   tutorial-rpc client [n]   ask the server for fib(n) (30 by default) and print the answer
//
// Connects to HARE_TEST_URL when it is set, else to Pika's defaults (localhost:5672, guest/guest).
// ExampleSupport carries the plumbing: connecting, Ctrl-C, printing, the command line.

import AMQPProtocol
import ExampleSupport
import Hare
import NIOCore

/// The n-th Fibonacci number, or nil when it is out of range (negative, or too big for an Int).
func fib(_ n: Int) -> Int? {
    guard (0...92).contains(n) else { return nil }
    var (current, next) = (0, 1)
    for _ in 0..<n { (current, next) = (next, current &+ next) }
    return current
}

/// Serves "rpc_queue" one request at a time (prefetch 1): replies to the request's reply-to
/// queue with the same correlation id, then acknowledges the request.
func server() -> Int32 {
    consumeQueue("rpc_queue", prefetchCount: 1, announcing: " [x] Awaiting RPC requests") { channel, method, properties, body in
        let request = String(buffer: body)
        say(" [.] fib(\(request))")
        let response = Int(request).flatMap(fib).map { "\($0)" } ?? "error: expected n from 0 to 92"
        if let replyTo = properties.replyTo {
            var replyProperties = AMQP.BasicProperties()
            replyProperties.correlationId = properties.correlationId
            _ = try? channel.basicPublish(exchange: "", routingKey: replyTo, body: response, properties: replyProperties)
        }
        channel.basicAck(deliveryTag: method.deliveryTag)
    }
}

/// Sends fib(n) to "rpc_queue" with a private reply queue and a fresh correlation id, waits for
/// the matching answer, prints it and closes.
func client(_ n: Int) -> Int32 {
    var answered = false
    let correlationId = String(UInt64.random(in: .min ... .max), radix: 16)
    let connection = openChannel { channel in
        // Mandatory: if no "rpc_queue" exists (no server ever ran), the request comes back.
        channel.addOnReturnCallback { channel, _, _, _ in
            say(" [!] No queue took the request: is the server running?")
            channel.connection.close()
        }
        channel.queueDeclare(queue: "", exclusive: true) { result in
            guard case .success(let declareOk) = result else { return }
            let callbackQueue = declareOk.queue
            channel.basicConsume(queue: callbackQueue, onMessageCallback: { channel, _, properties, body in
                guard properties.correlationId == correlationId else { return }
                answered = true
                say(" [.] Got \(String(buffer: body))")
                channel.connection.close()
            }, autoAck: true) { result in
                guard case .success = result else { return }
                say(" [x] Requesting fib(\(n))")
                var properties = AMQP.BasicProperties()
                properties.replyTo = callbackQueue
                properties.correlationId = correlationId
                _ = try? channel.basicPublish(
                    exchange: "", routingKey: "rpc_queue", body: "\(n)", properties: properties, mandatory: true
                )
            }
        }
    }
    _ = runUntilClosed(connection)
    return answered ? 0 : 1
}

runCommandLine("tutorial-rpc", [
    Subcommand("server", arguments: 0...0) { _ in server() },
    Subcommand("client", "[n]", arguments: 0...1) { words in
        let word = words.first ?? "30"
        guard let n = Int(word) else { complain("n must be a whole number, not '\(word)'") }
        return client(n)
    },
])
