// The main job: a real publish/consume round trip through a local RabbitMQ with Hare's
// callback face (SelectConnection). It declares a server-named exclusive queue, turns on
// publisher confirms, publishes messages, waits for every confirm, consumes every message back,
// checks each body and prints what happened.
//
//   swift run hare-roundtrip [count]        (HARE_TEST_URL, default amqp://guest:guest@127.0.0.1:5672/)

import AMQPProtocol
import Hare
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let url = getenv("HARE_TEST_URL").map { String(cString: $0) } ?? "amqp://guest:guest@127.0.0.1:5672/"
let count = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 1000

let parameters: URLParameters
do {
    parameters = try URLParameters(url)
} catch {
    print("bad HARE_TEST_URL: \(error)")
    exit(2)
}

final class RoundTrip: @unchecked Sendable {
    var confirmed = 0
    var received = 0
    var failures: [String] = []
    var outcome: Int32 = 1
}
let state = RoundTrip()

func finish(_ connection: SelectConnection, _ failure: String?) {
    if let failure { state.failures.append(failure) }
    connection.close()
}

let connection = SelectConnection(
    parameters: parameters,
    onOpen: { connection in
        print("connected to \(parameters.connectionParameters.host):\(parameters.connectionParameters.port)")
        connection.channel { channel in
            channel.queueDeclare(queue: "", exclusive: true) { result in
                guard case .success(let declareOk) = result else {
                    return finish(connection, "queue.declare failed: \(result)")
                }
                let queue = declareOk.queue
                print("declared queue \(queue)")
                channel.confirmDelivery(ackNackCallback: { _, confirm in
                    guard confirm.isAck else { return finish(connection, "the broker nacked \(confirm.deliveryTags)") }
                    state.confirmed += confirm.deliveryTags.count
                }) { _ in
                    for index in 0..<count {
                        var properties = AMQP.BasicProperties()
                        properties.contentType = "text/plain"
                        properties.messageId = "\(index)"
                        properties.headers = ["index": .int64(Int64(index))]
                        do {
                            try channel.basicPublish(exchange: "", routingKey: queue, body: "message \(index)", properties: properties)
                        } catch {
                            return finish(connection, "publish failed: \(error)")
                        }
                    }
                    print("published \(count) messages")
                    channel.basicConsume(queue: queue, onMessageCallback: { channel, deliver, properties, body in
                        let text = String(buffer: body)
                        if text != "message \(state.received)" || properties.messageId != "\(state.received)" {
                            state.failures.append("message \(state.received) came back as '\(text)'")
                        }
                        state.received += 1
                        if state.received % 100 == 0 || state.received == count {
                            channel.basicAck(deliveryTag: deliver.deliveryTag, multiple: true)
                        }
                        if state.received == count {
                            print("consumed \(count) messages, \(state.confirmed) confirmed by the broker")
                            finish(connection, state.confirmed == count ? nil : "only \(state.confirmed) of \(count) confirmed")
                        }
                    })
                }
            }
        }
    },
    onOpenError: { connection, error in
        print("cannot connect: \(error)")
        connection.ioloop.stop()
    },
    onClose: { connection, error in
        if state.failures.isEmpty && state.received == count {
            print("round trip OK: \(count) messages published, confirmed, consumed and checked")
            state.outcome = 0
        } else {
            print("round trip FAILED: \(state.failures.joined(separator: "; ")) (closed: \(error))")
        }
        connection.ioloop.stop()
    }
)
connection.ioloop.callLater(60) {
    print("timed out after 60 s")
    connection.close()
}
try? connection.ioloop.start()
exit(state.outcome)
