// RabbitMQ tutorial 6, "RPC", with async/await.
//
//   async-tutorials rpc server       answer fib(n) requests on "rpc_queue" until Ctrl-C
//   async-tutorials rpc client [n]   ask the server for fib(n) (30 by default) and print the answer

import AMQPProtocol
import ExampleSupport
import Hare
import NIOCore

/// Tutorial 6: a request/reply service over queues.
enum RPC {
    static let tutorial = Tutorial(name: "rpc", roles: [
        Role(name: "server", arguments: 0...0) { _ in try await server() },
        Role(name: "client", synopsis: "[n]", arguments: 0...1) { words in
            let word = words.first ?? "30"
            guard let n = Int(word) else { throw Failure("n must be a whole number, not '\(word)'") }
            try await client(n)
        },
    ])

    /// The n-th Fibonacci number, or nil when n is negative or the number does not fit an Int.
    static func fib(_ n: Int) -> Int? {
        guard n >= 0, n <= 92 else { return nil }
        return (0..<n).reduce((0, 1)) { pair, _ in (pair.1, pair.0 &+ pair.1) }.0
    }

    /// Serves "rpc_queue" one request at a time (prefetch 1): replies to the request's reply-to
    /// queue with the same correlation id, then acknowledges the request.
    static func server() async throws {
        try await withChannel { channel in
            try await channel.queueDeclare(queue: "rpc_queue")
            try await channel.basicQos(prefetchCount: 1)
            let requests = try await channel.basicConsume(queue: "rpc_queue")
            say(" [x] Awaiting RPC requests")
            for try await request in requests {
                let n = String(buffer: request.body)
                say(" [.] fib(\(n))")
                let answer = Int(n).flatMap(fib).map { "\($0)" } ?? "error: expected n from 0 to 92"
                if let replyTo = request.properties.replyTo {
                    var properties = AMQP.BasicProperties()
                    properties.correlationId = request.properties.correlationId
                    try await channel.basicPublish(exchange: "", routingKey: replyTo, body: answer, properties: properties)
                }
                try await request.ack()
            }
        }
    }

    /// Sends fib(n) to "rpc_queue" with a private reply queue and a fresh correlation id, and
    /// prints the matching answer. A task group races the answer against a ten-second timeout:
    /// whichever child finishes first wins, and the other is cancelled.
    static func client(_ n: Int) async throws {
        try await withChannel { channel in
            let callbackQueue = try await channel.queueDeclare(queue: "", exclusive: true).queue
            let replies = try await channel.basicConsume(queue: callbackQueue, autoAck: true)
            let correlationId = String(UInt64.random(in: .min ... .max), radix: 16)
            var properties = AMQP.BasicProperties()
            properties.replyTo = callbackQueue
            properties.correlationId = correlationId
            try await channel.confirmSelect()
            say(" [x] Requesting fib(\(n))")
            do {
                // Mandatory: if no "rpc_queue" exists (no server ever ran), the request comes back.
                try await channel.publish(exchange: "", routingKey: "rpc_queue", body: "\(n)", properties: properties, mandatory: true)
            } catch is UnroutableError {
                throw Failure("No queue took the request: is the server running?")
            }
            let answer = try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    for try await reply in replies where reply.properties.correlationId == correlationId {
                        return String(buffer: reply.body)
                    }
                    return nil
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            guard let answer else { throw Failure("No answer within 10 s") }
            say(" [.] Got \(answer)")
        }
    }
}
