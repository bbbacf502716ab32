import NIOCore

/// Writing frames. Each writer leaves the buffer as it was when it throws.
extension ByteBuffer {
    /// Writes any frame.
    public mutating func writeAMQPFrame(_ frame: AMQPFrame) throws(AMQPProtocolError) {
        switch frame {
        case .method(let channel, let method):
            try writeAMQPFramed(type: AMQPFrame.FrameType.method, channel: channel) { (buffer: inout ByteBuffer) throws(AMQPProtocolError) in
                try method.encode(into: &buffer)
            }
        case .header(let channel, let header):
            try writeAMQPFramed(type: AMQPFrame.FrameType.header, channel: channel) { (buffer: inout ByteBuffer) throws(AMQPProtocolError) in
                buffer.writeAMQPShort(header.classID)
                buffer.writeAMQPShort(header.weight)
                buffer.writeAMQPLongLong(header.bodySize)
                try header.properties.encode(into: &buffer)
            }
        case .body(let channel, let body):
            writeAMQPBodyFrame(channel: channel, body: body)
        case .heartbeat:
            writeAMQPHeartbeatFrame()
        }
    }

    /// Writes a method frame straight from a method struct, without wrapping it in `AMQP.Method`.
    @inlinable
    public mutating func writeAMQPMethodFrame<M: AMQPMethodProtocol>(channel: UInt16, method: M) throws(AMQPProtocolError) {
        try writeAMQPFramed(type: AMQPFrame.FrameType.method, channel: channel) { (buffer: inout ByteBuffer) throws(AMQPProtocolError) in
            buffer.writeAMQPShort(M.classID)
            buffer.writeAMQPShort(M.methodID)
            try method.encode(into: &buffer)
        }
    }

    /// Writes a message's header frame and its body split into frames of at most
    /// `frameMax - 8` bytes (`frameMax` 0 means no limit). An empty body has no body frame.
    public mutating func writeAMQPContent(channel: UInt16, properties: AMQP.BasicProperties, body: ByteBuffer, frameMax: Int) throws(AMQPProtocolError) {
        let start = writerIndex
        do {
            try writeAMQPFramed(type: AMQPFrame.FrameType.header, channel: channel) { (buffer: inout ByteBuffer) throws(AMQPProtocolError) in
                buffer.writeAMQPShort(AMQP.BasicProperties.classID)
                buffer.writeAMQPShort(0)
                buffer.writeAMQPLongLong(UInt64(body.readableBytes))
                try properties.encode(into: &buffer)
            }
        } catch {
            moveWriterIndex(to: start)
            throw error
        }
        let chunk = frameMax == 0 ? max(body.readableBytes, 1) : max(frameMax - AMQPLimits.frameOverhead, 1)
        var rest = body
        while rest.readableBytes > 0, let piece = rest.readSlice(length: min(chunk, rest.readableBytes)) {
            writeAMQPBodyFrame(channel: channel, body: piece)
        }
    }

    /// Writes one body frame.
    @inlinable
    public mutating func writeAMQPBodyFrame(channel: UInt16, body: ByteBuffer) {
        writeInteger(AMQPFrame.FrameType.body)
        writeInteger(channel, endianness: .big)
        writeInteger(UInt32(truncatingIfNeeded: body.readableBytes), endianness: .big)
        writeImmutableBuffer(body)
        writeInteger(AMQPFrame.FrameType.end)
    }

    /// Writes a heartbeat frame.
    public mutating func writeAMQPHeartbeatFrame() {
        writeBytes([AMQPFrame.FrameType.heartbeat, 0, 0, 0, 0, 0, 0, AMQPFrame.FrameType.end])
    }

    /// Writes type, channel and a size placeholder, runs `payload`, backfills the size and writes
    /// the end octet; on error removes everything it wrote.
    @inlinable
    mutating func writeAMQPFramed(
        type: UInt8,
        channel: UInt16,
        _ payload: (inout ByteBuffer) throws(AMQPProtocolError) -> Void
    ) throws(AMQPProtocolError) {
        let start = writerIndex
        writeInteger(type)
        writeInteger(channel, endianness: .big)
        writeInteger(UInt32(0))
        do {
            try payload(&self)
        } catch {
            moveWriterIndex(to: start)
            throw error
        }
        setInteger(UInt32(truncatingIfNeeded: writerIndex - start - 7), at: start + 3, endianness: .big)
        writeInteger(AMQPFrame.FrameType.end)
    }
}

/// The outbound frame encoder for a NIO pipeline (wrap it in `MessageToByteHandler`).
public struct AMQPFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = AMQPFrame

    /// Creates an encoder.
    public init() {}

    public func encode(data: AMQPFrame, out: inout ByteBuffer) throws {
        try out.writeAMQPFrame(data)
    }
}
