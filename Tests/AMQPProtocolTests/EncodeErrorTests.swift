import AMQPProtocol
import NIOCore
import Testing

/// Encoding errors: a short string over 255 bytes is refused, and a failed encode leaves the
/// buffer exactly as it was (for primitives, tables, methods, properties and frames).
@Suite("Encoding errors")
struct EncodeErrorTests {
    static let tooLong = String(repeating: "a", count: 256)
    static let error256 = AMQPProtocolError(.shortStringTooLong(length: 256))
    static let prefix: [UInt8] = [0xAA, 0xBB, 0xCC]

    /// Runs `body` on a buffer holding `prefix`, expects `error`, and expects the buffer untouched.
    func expectUnchanged(
        throws error: AMQPProtocolError = error256,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (inout ByteBuffer) throws(AMQPProtocolError) -> Void
    ) {
        var buffer = ByteBuffer(bytes: Self.prefix)
        #expect(throws: error, sourceLocation: sourceLocation) {
            try body(&buffer)
        }
        #expect(buffer.bytes == Self.prefix, "buffer changed to \(buffer.hex)", sourceLocation: sourceLocation)
        #expect(buffer.writerIndex == Self.prefix.count, sourceLocation: sourceLocation)
    }

    @Test("a short string of 255 bytes encodes; 256 bytes is refused")
    func shortStringLimit() throws {
        var buffer = ByteBuffer()
        try buffer.writeAMQPShortString(String(repeating: "a", count: 255))
        #expect(buffer.readableBytes == 256)
        #expect(buffer.getInteger(at: 0, as: UInt8.self) == 255)
        expectUnchanged { buffer throws(AMQPProtocolError) in try buffer.writeAMQPShortString(Self.tooLong) }
        // The limit counts UTF-8 bytes, not characters: 128 × "é" is 256 bytes.
        expectUnchanged { buffer throws(AMQPProtocolError) in
            try buffer.writeAMQPShortString(String(repeating: "é", count: 128))
        }
    }

    @Test("a failed field table encode leaves the buffer unchanged")
    func tables() {
        expectUnchanged { buffer throws(AMQPProtocolError) in
            try buffer.writeAMQPFieldTable(["ok": 1, Self.tooLong: 2])
        }
        // The bad key is nested two levels down, after entries that were already written.
        expectUnchanged { buffer throws(AMQPProtocolError) in
            try buffer.writeAMQPFieldTable(["a": "x", "inner": ["b": 2.5, "deeper": [Self.tooLong: true]]])
        }
        expectUnchanged { buffer throws(AMQPProtocolError) in
            try buffer.writeAMQPFieldArray([1, "two", .table([Self.tooLong: .void])])
        }
    }

    @Test("a failed method struct encode leaves the buffer unchanged")
    func methodStruct() {
        expectUnchanged { buffer throws(AMQPProtocolError) in
            try AMQP.Queue.Declare(queue: Self.tooLong, durable: true).encode(into: &buffer)
        }
        // Fails on the last field, after a table and a long string have been written.
        expectUnchanged { buffer throws(AMQPProtocolError) in
            try AMQP.Connection.StartOk(clientProperties: ["product": "Hare"], mechanism: "PLAIN",
                                        response: ByteBuffer(bytes: [1, 2, 3]), locale: Self.tooLong).encode(into: &buffer)
        }
    }

    @Test("a failed AMQP.Method encode leaves the buffer unchanged")
    func methodEnum() {
        expectUnchanged { buffer throws(AMQPProtocolError) in
            try AMQP.Method.queueDeclare(AMQP.Queue.Declare(queue: Self.tooLong)).encode(into: &buffer)
        }
        expectUnchanged { buffer throws(AMQPProtocolError) in
            try AMQP.Method.basicPublish(AMQP.Basic.Publish(exchange: "ex", routingKey: Self.tooLong)).encode(into: &buffer)
        }
    }

    @Test("a failed BasicProperties encode leaves the buffer unchanged")
    func properties() {
        expectUnchanged { buffer throws(AMQPProtocolError) in
            try AMQP.BasicProperties(contentType: "text/plain", headers: ["a": 1], appId: Self.tooLong).encode(into: &buffer)
        }
    }

    @Test("a failed frame write leaves the buffer unchanged")
    func frames() {
        let declare = AMQP.Queue.Declare(queue: Self.tooLong)
        let badProperties = AMQP.BasicProperties(deliveryMode: 2, messageId: Self.tooLong)
        expectUnchanged { buffer throws(AMQPProtocolError) in
            try buffer.writeAMQPFrame(.method(channel: 1, declare.asMethod))
        }
        expectUnchanged { buffer throws(AMQPProtocolError) in
            try buffer.writeAMQPMethodFrame(channel: 1, method: declare)
        }
        expectUnchanged { buffer throws(AMQPProtocolError) in
            try buffer.writeAMQPFrame(.header(channel: 1, AMQPContentHeader(bodySize: 3, properties: badProperties)))
        }
        expectUnchanged { buffer throws(AMQPProtocolError) in
            try buffer.writeAMQPContent(channel: 1, properties: badProperties, body: ByteBuffer(bytes: [1, 2, 3]), frameMax: 4096)
        }
        expectUnchanged(throws: AMQPProtocolError(.nestingTooDeep(limit: 32))) { buffer throws(AMQPProtocolError) in
            var table = FieldTable()
            for _ in 0..<40 {
                table = ["n": .table(table)]
            }
            try buffer.writeAMQPFrame(.header(channel: 1, AMQPContentHeader(bodySize: 0, properties: AMQP.BasicProperties(headers: table))))
        }
    }

    @Test("AMQPFrameEncoder passes the error on and writes nothing")
    func frameEncoder() {
        var out = ByteBuffer(bytes: Self.prefix)
        #expect(throws: Self.error256) {
            try AMQPFrameEncoder().encode(data: .method(channel: 1, AMQP.Queue.Declare(queue: Self.tooLong).asMethod), out: &out)
        }
        #expect(out.bytes == Self.prefix)
    }
}
