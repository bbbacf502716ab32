// A script with Hare's blocking face: connect, declare, publish with confirms, get it back.
// Run: HARE_TEST_URL=amqp://guest:guest@127.0.0.1:5672/ swift run blocking-example
// Prints "publisher confirms: supported" and "got: Hello from a blocking script"; exits 1
// (after printing "failed: ...") when anything goes wrong.
import Hare
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let url = getenv("HARE_TEST_URL").map { String(cString: $0) } ?? "amqp://guest:guest@127.0.0.1:5672/"
do {
    let connection = try BlockingConnection(URLParameters(url))
    print("publisher confirms: \(connection.publisherConfirmsSupported ? "supported" : "not supported")")
    let channel = try connection.channel()
    let queue = try channel.queueDeclare(queue: "", exclusive: true).queue
    try channel.confirmDelivery()
    try channel.basicPublish(exchange: "", routingKey: queue, body: "Hello from a blocking script")  // returns once acked
    guard let message = try channel.basicGet(queue: queue, autoAck: true) else {
        print("failed: the queue was empty after a confirmed publish")
        try connection.close()
        exit(1)
    }
    print("got: \(String(buffer: message.body))")
    try connection.close()
} catch {
    print("failed: \(error)")
    exit(1)
}
