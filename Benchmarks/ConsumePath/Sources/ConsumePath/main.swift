import AMQPProtocol
import Dispatch
import Logging
import NIOCore
import NIOEmbedded

@testable import Hare

// Usage: consume-path [READS] [DELIVERIES-PER-READ] [--reply]
//
// Opens a connection handler in an EmbeddedChannel (the handshake scripted), opens channel 1
// and starts a consumer, then hands it READS reads of DELIVERIES-PER-READ deliveries each
// (basic.deliver with a RabbitMQ-style 31-byte consumer tag, a header without properties, a
// 16-byte body: what `Benchmarks/compare` workload C receives). With --reply, every delivery
// publishes a 16-byte message from inside its callback, as the round trips of workload D do,
// and each read's flush is taken off the channel (as a socket write would) before the next
// read. Prints nanoseconds per delivery; for instruction counts run it under callgrind
// (`../profile-consume`).

/// Counts deliveries and checks each body, so the work cannot be optimized away unnoticed.
final class CountingDelegate: ChannelDelegate {
    // Without the runtime's exclusivity checks: three of them per delivery (about 230
    // instructions) were the harness's cost, not the path's. Nothing else touches these.
    @exclusivity(unchecked) var deliveries = 0
    @exclusivity(unchecked) var bodyBytes = 0
    /// Called after each delivery is counted (the reply of --reply).
    @exclusivity(unchecked) var onDelivery: () -> Void = {}

    func channel(_ number: UInt16, didDeliver message: ContentMessage) {
        deliveries += 1
        bodyBytes += message.body.readableBytes
        onDelivery()
    }
    func channel(_ number: UInt16, didReturn message: ContentMessage) {}
    func channel(_ number: UInt16, didConfirm confirm: ConfirmEvent) {}
    func channel(_ number: UInt16, consumerCancelledByBroker consumerTag: String) {}
    func channel(_ number: UInt16, flowActive: Bool) {}
    func channel(_ number: UInt16, didCloseWith error: any Error, consumers: [String], unconfirmed: [UInt64], continuation: TagOffsets) {}
}

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let reply = CommandLine.arguments.contains("--reply")
let reads = arguments.first ?? 200
let deliveriesPerRead = arguments.dropFirst().first ?? 600
let consumerTag = "amq.ctag-7Q2m3nZtQeKjv1bXoPf0aA"

func wire(_ frames: AMQPFrame...) throws -> ByteBuffer {
    var buffer = ByteBuffer()
    for frame in frames { try buffer.writeAMQPFrame(frame) }
    return buffer
}

let configuration = ConnectionConfiguration(
    virtualHost: "/", locale: "en_US", clientProperties: [:], mechanism: "PLAIN",
    response: ByteBuffer(bytes: [0] + Array("guest".utf8) + [0] + Array("guest".utf8)),
    channelMax: 2047, frameMax: 131_072, heartbeat: 0, heartbeatCallback: nil
)
let handler = AMQPConnectionHandler(
    configuration: configuration, maxBodySize: 1 << 20, blockedConnectionTimeout: nil, closeTimeout: 5,
    logger: Logger(label: "consume-path") { _ in SwiftLogNoOpLogHandler() }
)
let channel = EmbeddedChannel(handler: handler)
try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5672)).wait()

/// One read from the broker.
func receive(_ bytes: ByteBuffer) throws {
    try channel.writeInbound(bytes)
    channel.embeddedEventLoop.run()
}

try receive(wire(.method(channel: 0, .connectionStart(AMQP.Connection.Start(
    versionMajor: 0, versionMinor: 9, serverProperties: [:],
    mechanisms: ByteBuffer(string: "PLAIN"), locales: ByteBuffer(string: "en_US")
)))))
try receive(wire(.method(channel: 0, .connectionTune(AMQP.Connection.Tune(channelMax: 2047, frameMax: 131_072, heartbeat: 0)))))
try receive(wire(.method(channel: 0, .connectionOpenOk(AMQP.Connection.OpenOk()))))
let delegate = CountingDelegate()
handler.openChannel(number: nil, delegate: delegate) { _ in }
try receive(wire(.method(channel: 1, .channelOpenOk(AMQP.Channel.OpenOk()))))
handler.rpc(.basicConsume(AMQP.Basic.Consume(queue: "cq", consumerTag: consumerTag)), channel: 1) { _ in }
try receive(wire(.method(channel: 1, .basicConsumeOk(AMQP.Basic.ConsumeOk(consumerTag: consumerTag)))))
while try channel.readOutbound(as: ByteBuffer.self) != nil {}
guard handler.machine.isOpen, handler.channels[1] != nil else { fatalError("the scripted handshake did not open channel 1") }

var replies = 0
let replyBody = ByteBuffer(repeating: 9, count: 16)
func replyRequest() -> PublishRequest {
    PublishRequest(
        exchange: "", routingKey: "rpc.replies", mandatory: false, immediate: false,
        properties: AMQP.BasicProperties(), body: replyBody, sequenceNumber: nil
    )
}
/// The bytes of one reply on the wire: publish method, header and body frames.
let replySize = try {
    var encoded = ByteBuffer()
    let request = replyRequest()
    try encoded.writeAMQPMessage(channel: 1, method: request.method, properties: request.properties, body: request.body, frameMax: 131_072)
    return encoded.readableBytes
}()
if reply {
    delegate.onDelivery = {
        let request = replyRequest()
        do {
            _ = try handler.publish(request, channel: 1)
        } catch {
            fatalError("reply: \(error)")
        }
    }
}

/// Takes what the handler flushed off the channel, as a socket write would; returns the bytes.
func drainOutbound() throws -> Int {
    var bytes = 0
    while let written = try channel.readOutbound(as: ByteBuffer.self) { bytes += written.readableBytes }
    return bytes
}

var read = ByteBuffer()
for index in 0..<deliveriesPerRead {
    try read.writeAMQPFrame(.method(channel: 1, .basicDeliver(AMQP.Basic.Deliver(
        consumerTag: consumerTag, deliveryTag: UInt64(index + 1), exchange: "", routingKey: "cq"
    ))))
    try read.writeAMQPContent(channel: 1, properties: AMQP.BasicProperties(), body: ByteBuffer(repeating: 7, count: 16), frameMax: 131_072)
}

let start = DispatchTime.now().uptimeNanoseconds
for _ in 0..<reads {
    // A fresh buffer per read, as NIO hands over: nothing is shared with the previous one.
    var fresh = ByteBuffer()
    fresh.writeImmutableBuffer(read)
    try channel.writeInbound(fresh)
    if reply {
        channel.embeddedEventLoop.run()  // the loop turn after the read (the reply left at the read's end)
        replies += try drainOutbound()
    }
}
let elapsed = DispatchTime.now().uptimeNanoseconds - start
let expected = reads * deliveriesPerRead
guard delegate.deliveries == expected, delegate.bodyBytes == expected * 16 else {
    fatalError("\(delegate.deliveries) deliveries (\(delegate.bodyBytes) body bytes), expected \(expected)")
}
guard replies == (reply ? expected * replySize : 0) else {
    fatalError("\(replies) bytes of replies written, expected \(reply ? expected * replySize : 0)")
}
print("\(expected) deliveries in \(reads) reads of \(read.readableBytes) bytes: \(elapsed / UInt64(expected)) ns/delivery")
