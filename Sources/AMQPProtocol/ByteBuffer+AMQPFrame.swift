import NIOCore

/// Writing frames. Each writer computes the frame's size first (which checks everything that
/// could fail), then writes it in one pass; when it throws, nothing has been written.
extension ByteBuffer {
    /// Writes any frame.
    public mutating func writeAMQPFrame(_ frame: AMQPFrame) throws(AMQPProtocolError) {
        switch frame {
        case .method(let channel, let method):
            let size = try method.encodedSize()
            writeAMQP(size: size + AMQPLimits.frameOverhead) { writer in
                writer.writeFrameStart(type: AMQPFrame.FrameType.method, channel: channel, payloadSize: size)
                method.encode(to: &writer)
                writer.writeOctet(AMQPFrame.FrameType.end)
            }
        case .header(let channel, let header):
            let size = 12 + (try header.properties.encodedSize())
            writeAMQP(size: size + AMQPLimits.frameOverhead) { writer in
                writer.writeHeaderFrame(
                    channel: channel, classID: header.classID, weight: header.weight, bodySize: header.bodySize,
                    properties: header.properties, payloadSize: size
                )
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
        let size = 4 + (try method.encodedSize())
        writeAMQP(size: size + AMQPLimits.frameOverhead) { writer in
            writer.writeMethodFrame(channel: channel, method: method, payloadSize: size)
        }
    }

    /// Writes a message's header frame and its body split into frames of at most
    /// `frameMax - 8` bytes (`frameMax` 0 means no limit), all in one pass. An empty body has no
    /// body frame.
    @inlinable
    public mutating func writeAMQPContent(channel: UInt16, properties: AMQP.BasicProperties, body: ByteBuffer, frameMax: Int) throws(AMQPProtocolError) {
        let content = try AMQPContentLayout(properties: properties, bodySize: body.readableBytes, frameMax: frameMax)
        writeAMQP(size: content.totalSize) { writer in
            writer.writeContent(channel: channel, properties: properties, body: body, layout: content)
        }
    }

    /// Writes a whole message, its method frame (basic.publish) then its header and body frames
    /// as `writeAMQPContent` does, with one size check and one reservation: either every frame
    /// is written or, when it throws, nothing.
    @inlinable
    public mutating func writeAMQPMessage<M: AMQPMethodProtocol>(
        channel: UInt16, method: M, properties: AMQP.BasicProperties, body: ByteBuffer, frameMax: Int
    ) throws(AMQPProtocolError) {
        let layout = try AMQPMessageLayout(method: method, properties: properties, bodySize: body.readableBytes, frameMax: frameMax)
        writeAMQPMessage(channel: channel, method: method, properties: properties, body: body, layout: layout)
    }

    /// Writes a whole message as `writeAMQPMessage(channel:method:properties:body:frameMax:)`
    /// does, with the sizes `layout` computed (and so checked) from these same method,
    /// properties and body size: for a caller that checks a message when it is handed over
    /// and writes it later, without computing its sizes twice.
    @inlinable
    public mutating func writeAMQPMessage<M: AMQPMethodProtocol>(
        channel: UInt16, method: M, properties: AMQP.BasicProperties, body: ByteBuffer, layout: AMQPMessageLayout
    ) {
        writeAMQP(size: layout.totalSize) { writer in
            writer.writeMethodFrame(channel: channel, method: method, payloadSize: layout.methodPayloadSize)
            writer.writeContent(channel: channel, properties: properties, body: body, layout: layout.content)
        }
    }

    /// Writes one body frame.
    @inlinable
    public mutating func writeAMQPBodyFrame(channel: UInt16, body: ByteBuffer) {
        let size = body.readableBytes
        writeAMQP(size: size + AMQPLimits.frameOverhead) { writer in
            writer.writeFrameStart(type: AMQPFrame.FrameType.body, channel: channel, payloadSize: size)
            writer.writeBytes(of: body)
            writer.writeOctet(AMQPFrame.FrameType.end)
        }
    }

    /// Writes a heartbeat frame.
    public mutating func writeAMQPHeartbeatFrame() {
        writeAMQP(size: AMQPLimits.frameOverhead) { writer in
            writer.writeFrameStart(type: AMQPFrame.FrameType.heartbeat, channel: 0, payloadSize: 0)
            writer.writeOctet(AMQPFrame.FrameType.end)
        }
    }
}

/// The sizes of a whole message's frames: its method frame, header frame and body frames.
/// Computing them checks everything that could make encoding the message fail (a short string
/// over 255 bytes, tables nested too deep), so a message with a layout always encodes.
public struct AMQPMessageLayout: Sendable {
    /// The method frame's payload: class and method ids and the arguments.
    @usableFromInline let methodPayloadSize: Int
    @usableFromInline let content: AMQPContentLayout
    /// Every frame of the message, overhead included.
    @inlinable
    public var totalSize: Int { methodPayloadSize + AMQPLimits.frameOverhead + content.totalSize }

    /// Checks `method` and `properties` and lays out their frames, with the body split into
    /// frames of at most `frameMax - 8` bytes (`frameMax` 0 means no limit).
    @inlinable
    public init<M: AMQPMethodProtocol>(method: M, properties: AMQP.BasicProperties, bodySize: Int, frameMax: Int) throws(AMQPProtocolError) {
        methodPayloadSize = 4 + (try method.encodedSize())
        content = try AMQPContentLayout(properties: properties, bodySize: bodySize, frameMax: frameMax)
    }
}

/// The sizes of a message's content frames: its header frame's payload and the body's split
/// into frames.
@usableFromInline
struct AMQPContentLayout: Sendable {
    /// The header frame's payload: class, weight, body size and the properties.
    @usableFromInline let headerSize: Int
    /// The largest body frame payload.
    @usableFromInline let chunk: Int
    /// The header frame and every body frame, overhead included.
    @usableFromInline let totalSize: Int

    /// Checks the properties (what could make encoding them fail) and lays the frames out.
    @inlinable
    init(properties: AMQP.BasicProperties, bodySize: Int, frameMax: Int) throws(AMQPProtocolError) {
        headerSize = 12 + (try properties.encodedSize())
        chunk = frameMax <= AMQPLimits.frameOverhead ? max(bodySize, 1) : frameMax - AMQPLimits.frameOverhead
        let bodyFrames = (bodySize + chunk - 1) / chunk
        totalSize = headerSize + AMQPLimits.frameOverhead + bodySize + bodyFrames * AMQPLimits.frameOverhead
    }
}

extension AMQPWriter {
    /// Writes a method frame from its struct, class and method ids included, whose payload size
    /// (4 + the arguments' encoded size) was computed beforehand.
    @inlinable @inline(__always)
    mutating func writeMethodFrame<M: AMQPMethodProtocol>(channel: UInt16, method: M, payloadSize: Int) {
        writeFrameStart(type: AMQPFrame.FrameType.method, channel: channel, payloadSize: payloadSize)
        writeShort(M.classID)
        writeShort(M.methodID)
        method.encode(to: &self)
        writeOctet(AMQPFrame.FrameType.end)
    }

    /// Writes a message's header frame and body frames, laid out by `layout`.
    @inlinable
    mutating func writeContent(channel: UInt16, properties: AMQP.BasicProperties, body: ByteBuffer, layout: AMQPContentLayout) {
        let bodySize = body.readableBytes
        writeHeaderFrame(
            channel: channel, classID: AMQP.BasicProperties.classID, weight: 0, bodySize: UInt64(bodySize),
            properties: properties, payloadSize: layout.headerSize
        )
        guard bodySize > 0 else { return }
        let chunk = layout.chunk
        body.withUnsafeReadableBytes { bytes in
            var sent = 0
            while sent < bodySize {
                let piece = Swift.min(chunk, bodySize - sent)
                writeFrameStart(type: AMQPFrame.FrameType.body, channel: channel, payloadSize: piece)
                writeRaw(UnsafeRawBufferPointer(rebasing: bytes[sent..<(sent + piece)]))
                writeOctet(AMQPFrame.FrameType.end)
                sent += piece
            }
        }
    }

    /// Writes a whole content header frame whose payload size (12 + the properties' encoded
    /// size) was computed beforehand.
    @inlinable
    public mutating func writeHeaderFrame(
        channel: UInt16, classID: UInt16, weight: UInt16, bodySize: UInt64,
        properties: AMQP.BasicProperties, payloadSize: Int
    ) {
        writeFrameStart(type: AMQPFrame.FrameType.header, channel: channel, payloadSize: payloadSize)
        writeShort(classID)
        writeShort(weight)
        writeLongLong(bodySize)
        properties.encode(to: &self)
        writeOctet(AMQPFrame.FrameType.end)
    }

    /// Writes a frame's type, channel and payload size.
    @inlinable
    public mutating func writeFrameStart(type: UInt8, channel: UInt16, payloadSize: Int) {
        writeOctet(type)
        writeShort(channel)
        writeLong(UInt32(truncatingIfNeeded: payloadSize))
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
