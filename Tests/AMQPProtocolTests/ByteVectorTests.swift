import AMQPProtocol
import NIOCore
import Testing

/// Known frames written out byte by byte from the AMQP 0-9-1 rules (not from our encoder), checked
/// in both directions: our encoding equals the bytes, and decoding the bytes gives the values.
@Suite("Byte-exact vectors")
struct ByteVectorTests {
    // Field value type tags.
    let tagS = UInt8(ascii: "S"), tagF = UInt8(ascii: "F"), tagT = UInt8(ascii: "t"), tagI = UInt8(ascii: "I"), tagL = UInt8(ascii: "l")

    @Test("protocol header: 'AMQP' 0 0 9 1")
    func protocolHeader() {
        let expected: [UInt8] = [0x41, 0x4D, 0x51, 0x50, 0x00, 0x00, 0x09, 0x01]
        #expect(AMQPProtocolHeader.bytes == expected)
        var buffer = ByteBuffer()
        buffer.writeAMQPProtocolHeader()
        #expect(buffer.bytes == expected)
    }

    @Test("heartbeat: 08 0000 00000000 CE")
    func heartbeat() throws {
        let expected: [UInt8] = [0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xCE]
        var a = ByteBuffer()
        a.writeAMQPHeartbeatFrame()
        #expect(a.bytes == expected)
        var b = ByteBuffer()
        try b.writeAMQPFrame(.heartbeat)
        #expect(b.bytes == expected)
        expectFrames(expected, [.heartbeat])
    }

    // connection.start-ok with a client-properties table holding S, F (nested, with t), I and l.
    var startOkFrame: [UInt8] {
        var table: [UInt8] = [0x00, 0x00, 0x00, 0x51]  // table length 81
        table += [0x07] + ascii("product") + [tagS] + [0x00, 0x00, 0x00, 0x04] + ascii("Hare")  // 17 bytes
        table += [0x0C] + ascii("capabilities") + [tagF] + [0x00, 0x00, 0x00, 0x15]  // 13 + 1 + 4 bytes
        table += [0x12] + ascii("publisher_confirms") + [tagT, 0x01]  // 21 bytes (the nested table)
        table += [0x06] + ascii("answer") + [tagI] + [0xFF, 0xFF, 0xFF, 0xD6]  // -42, 12 bytes
        table += [0x03] + ascii("big") + [tagL] + [0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]  // 2^32, 13 bytes
        var payload: [UInt8] = [0x00, 0x0A, 0x00, 0x0B]  // class 10, method 11
        payload += table  // 85 bytes
        payload += [0x05] + ascii("PLAIN")  // mechanism
        payload += [0x00, 0x00, 0x00, 0x0C, 0x00] + ascii("guest") + [0x00] + ascii("guest")  // response
        payload += [0x05] + ascii("en_US")  // locale
        // 4 + 85 + 6 + 16 + 6 = 117 = 0x75
        return [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x75] + payload + [0xCE]
    }

    var startOk: AMQP.Connection.StartOk {
        AMQP.Connection.StartOk(
            clientProperties: [
                "product": "Hare",
                "capabilities": .table(["publisher_confirms": .boolean(true)]),
                "answer": .int32(-42),
                "big": .int64(1 << 32),
            ],
            mechanism: "PLAIN",
            response: ByteBuffer(bytes: [0x00] + ascii("guest") + [0x00] + ascii("guest")),
            locale: "en_US"
        )
    }

    @Test("connection.start-ok with a client-properties table")
    func connectionStartOk() throws {
        var generic = ByteBuffer()
        try generic.writeAMQPMethodFrame(channel: 0, method: startOk)
        #expect(generic.bytes == startOkFrame, "got \(generic.hex)")
        var wrapped = ByteBuffer()
        try wrapped.writeAMQPFrame(.method(channel: 0, startOk.asMethod))
        #expect(wrapped.bytes == startOkFrame)
        expectFrames(startOkFrame, [.method(channel: 0, .connectionStartOk(startOk))])
    }

    // basic.publish on channel 1 + content header (content-type, headers with 2 strings, delivery-mode) + body.
    var publishFrames: [UInt8] {
        var method: [UInt8] = [0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0D]  // method frame, channel 1, 13 bytes
        method += [0x00, 0x3C, 0x00, 0x28]  // class 60, method 40
        method += [0x00, 0x00]  // reserved-1 (ticket)
        method += [0x02] + ascii("ex")  // exchange
        method += [0x02] + ascii("rk")  // routing-key
        method += [0x01]  // bits: mandatory = 1 (bit 0), immediate = 0 (bit 1)
        method += [0xCE]

        var header: [UInt8] = [0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x2F]  // header frame, channel 1, 47 bytes
        header += [0x00, 0x3C]  // class 60
        header += [0x00, 0x00]  // weight
        header += [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06]  // body size 6
        header += [0xB0, 0x00]  // flags: content-type (15), headers (13), delivery-mode (12)
        header += [0x0A] + ascii("text/plain")
        header += [0x00, 0x00, 0x00, 0x11]  // headers table, 17 bytes
        header += [0x01] + ascii("a") + [tagS] + [0x00, 0x00, 0x00, 0x01] + ascii("x")
        header += [0x01] + ascii("b") + [tagS] + [0x00, 0x00, 0x00, 0x02] + ascii("yz")
        header += [0x02]  // delivery-mode 2 (persistent)
        header += [0xCE]

        let body: [UInt8] = [0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06] + ascii("Hello!") + [0xCE]
        return method + header + body
    }

    let publish = AMQP.Basic.Publish(exchange: "ex", routingKey: "rk", mandatory: true, immediate: false)
    let publishProperties = AMQP.BasicProperties(contentType: "text/plain", headers: ["a": "x", "b": "yz"], deliveryMode: 2)

    @Test("basic.publish + content header + body")
    func basicPublish() throws {
        let body = ByteBuffer(bytes: ascii("Hello!"))
        var written = ByteBuffer()
        try written.writeAMQPMethodFrame(channel: 1, method: publish)
        try written.writeAMQPContent(channel: 1, properties: publishProperties, body: body, frameMax: 4096)
        #expect(written.bytes == publishFrames, "got \(written.hex)")

        let frames: [AMQPFrame] = [
            .method(channel: 1, .basicPublish(publish)),
            .header(channel: 1, AMQPContentHeader(classID: 60, weight: 0, bodySize: 6, properties: publishProperties)),
            .body(channel: 1, body),
        ]
        var each = ByteBuffer()
        for frame in frames {
            try each.writeAMQPFrame(frame)
        }
        #expect(each.bytes == publishFrames)
        expectFrames(publishFrames, frames)
    }

    var deliverFrame: [UInt8] {
        var payload: [UInt8] = [0x00, 0x3C, 0x00, 0x3C]  // class 60, method 60
        payload += [0x04] + ascii("ctag")  // consumer-tag
        payload += [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]  // delivery-tag, big-endian
        payload += [0x01]  // redelivered
        payload += [0x00]  // exchange "" (the default exchange)
        payload += [0x01] + ascii("q")  // routing-key
        // 4 + 5 + 8 + 1 + 1 + 2 = 21
        return [0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x15] + payload + [0xCE]
    }

    let deliver = AMQP.Basic.Deliver(consumerTag: "ctag", deliveryTag: 0x0102_0304_0506_0708, redelivered: true, exchange: "", routingKey: "q")

    @Test("basic.deliver")
    func basicDeliver() throws {
        var written = ByteBuffer()
        try written.writeAMQPMethodFrame(channel: 1, method: deliver)
        #expect(written.bytes == deliverFrame, "got \(written.hex)")
        var wrapped = ByteBuffer()
        try wrapped.writeAMQPFrame(.method(channel: 1, deliver.asMethod))
        #expect(wrapped.bytes == deliverFrame)
        expectFrames(deliverFrame, [.method(channel: 1, .basicDeliver(deliver))])
    }

    @Test("queue.declare packs five bits into one octet, in field order from bit 0")
    func queueDeclareBits() throws {
        var payload: [UInt8] = [0x00, 0x32, 0x00, 0x0A]  // class 50, method 10
        payload += [0x00, 0x00]  // reserved-1
        payload += [0x01] + ascii("q")
        payload += [0x0A]  // passive 0x01 no, durable 0x02 yes, exclusive 0x04 no, auto-delete 0x08 yes, no-wait 0x10 no
        payload += [0x00, 0x00, 0x00, 0x00]  // arguments: empty table
        let frame = [0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0D] + payload + [0xCE]  // 4 + 2 + 2 + 1 + 4 = 13 bytes
        let declare = AMQP.Queue.Declare(queue: "q", passive: false, durable: true, exclusive: false, autoDelete: true, noWait: false)
        var written = ByteBuffer()
        try written.writeAMQPMethodFrame(channel: 2, method: declare)
        #expect(written.bytes == frame, "got \(written.hex)")
        expectFrames(frame, [.method(channel: 2, .queueDeclare(declare))])
    }

    @Test("connection.tune from the server")
    func connectionTune() throws {
        let frame: [UInt8] = [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0C,
                              0x00, 0x0A, 0x00, 0x1E,  // class 10, method 30
                              0x07, 0xFF,  // channel-max 2047
                              0x00, 0x02, 0x00, 0x00,  // frame-max 131072
                              0x00, 0x3C,  // heartbeat 60
                              0xCE]
        let tune = AMQP.Connection.Tune(channelMax: 2047, frameMax: 131_072, heartbeat: 60)
        var written = ByteBuffer()
        try written.writeAMQPMethodFrame(channel: 0, method: tune)
        #expect(written.bytes == frame)
        expectFrames(frame, [.method(channel: 0, .connectionTune(tune))])
    }
}
