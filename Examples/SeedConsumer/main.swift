// Pika's second introduction program in Swift: connect with the default parameters, open a
// channel, declare the queue "test", consume from it and print every body, one per line.
// Ctrl-C closes the connection gracefully, runs the loop until the close is done, and exits 0.
//
//   swift run seed-consumer

import AMQPProtocol
import Hare
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A global to keep our channel in once it is open (only the loop's thread touches it).
nonisolated(unsafe) var channel: SelectChannel?

// Step 2
/// Called once we are fully connected to RabbitMQ.
func onConnected(_ connection: SelectConnection) {
    // Open a channel.
    connection.channel(onOpen: onChannelOpen)
}

// Step 3
/// Called once our channel is open.
func onChannelOpen(_ newChannel: SelectChannel) {
    channel = newChannel
    newChannel.queueDeclare(queue: "test", durable: true, exclusive: false, autoDelete: false, callback: onQueueDeclared)
}

// Step 4
/// Called with RabbitMQ's answer to our queue declaration.
func onQueueDeclared(_ frame: Result<AMQP.Queue.DeclareOk, any Error>) {
    guard case .success = frame else { return print("cannot declare the queue: \(frame)") }
    channel?.basicConsume(queue: "test", onMessageCallback: handleDelivery)
}

// Step 5
/// Called for every message RabbitMQ delivers to us.
func handleDelivery(_ channel: SelectChannel, _ method: AMQP.Basic.Deliver, _ header: AMQP.BasicProperties, _ body: ByteBuffer) {
    print(String(buffer: body))
    fflush(nil)  // one line at a time, even into a pipe
}

// Step 1: connect to RabbitMQ with the default parameters.
let parameters = ConnectionParameters()
let connection = SelectConnection(parameters: parameters, onOpen: onConnected)

do {
    // Run the loop so we can talk to RabbitMQ.
    try connection.ioloop.start()
} catch {
    // Ctrl-C: close the connection gracefully...
    connection.close()
    // ...and run the loop again until it has closed (start() returns on its own then).
    try? connection.ioloop.start()
}
