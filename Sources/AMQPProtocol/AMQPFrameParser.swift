import NIOCore

/// The pure frame parser: given bytes, either a whole frame, "need more", or a typed error.
/// It reads the 7-byte frame header, checks the size against `maxFrameSize` before waiting for
/// or touching the payload, then checks the end octet and decodes the payload.
public struct AMQPFrameParser: Sendable {
    /// The largest frame accepted, overhead included (frame_max; 4096 until connection.tune).
    public var maxFrameSize: Int
    /// The largest body a content header may announce.
    public var maxBodySize: Int

    /// Creates a parser with the pre-tune frame limit and the default body limit.
    public init(maxFrameSize: Int = AMQPLimits.minimumFrameMax, maxBodySize: Int = AMQPLimits.defaultMaxBodySize) {
        self.maxFrameSize = maxFrameSize
        self.maxBodySize = maxBodySize
    }

    /// Parses one frame from the front of `buffer`. Returns nil (consuming nothing) when more
    /// bytes are needed; on success consumes exactly the frame; on error consumes nothing.
    public func parse(_ buffer: inout ByteBuffer) throws(AMQPProtocolError) -> AMQPFrame? {
        let start = buffer.readerIndex
        guard let type = buffer.getInteger(at: start, as: UInt8.self) else { return nil }
        if type == UInt8(ascii: "A") {
            return try parseProtocolHeader(buffer)
        }
        guard type == AMQPFrame.FrameType.method || type == AMQPFrame.FrameType.header
            || type == AMQPFrame.FrameType.body || type == AMQPFrame.FrameType.heartbeat
        else {
            throw AMQPProtocolError(.unknownFrameType(type), frameType: type)
        }
        guard buffer.readableBytes >= 7,
              let channel = buffer.getInteger(at: start + 1, endianness: .big, as: UInt16.self),
              let size = buffer.getInteger(at: start + 3, endianness: .big, as: UInt32.self)
        else { return nil }
        let payloadSize = Int(size)
        let frameSize = payloadSize + AMQPLimits.frameOverhead
        guard frameSize <= maxFrameSize else {
            throw AMQPProtocolError(.frameTooLarge(size: frameSize, limit: maxFrameSize), frameType: type, channel: channel)
        }
        guard buffer.readableBytes >= frameSize,
              let end = buffer.getInteger(at: start + 7 + payloadSize, as: UInt8.self),
              var payload = buffer.getSlice(at: start + 7, length: payloadSize)
        else { return nil }
        guard end == AMQPFrame.FrameType.end else {
            throw AMQPProtocolError(.invalidFrameEnd(end), frameType: type, channel: channel)
        }
        let frame: AMQPFrame
        do {
            frame = try decodePayload(type: type, channel: channel, payload: &payload)
        } catch {
            throw error.inFrame(type: type, channel: channel)
        }
        buffer.moveReaderIndex(forwardBy: frameSize)
        return frame
    }

    private func parseProtocolHeader(_ buffer: ByteBuffer) throws(AMQPProtocolError) -> AMQPFrame? {
        guard let bytes = buffer.getBytes(at: buffer.readerIndex, length: min(buffer.readableBytes, 8)) else { return nil }
        let expected: [UInt8] = [UInt8(ascii: "A"), UInt8(ascii: "M"), UInt8(ascii: "Q"), UInt8(ascii: "P")]
        guard zip(bytes, expected).allSatisfy(==) else {
            throw AMQPProtocolError(.unknownFrameType(bytes[0]), frameType: bytes[0])
        }
        guard bytes.count == 8 else { return nil }
        throw AMQPProtocolError(.protocolVersionMismatch(major: bytes[5], minor: bytes[6], revision: bytes[7]))
    }

    private func decodePayload(type: UInt8, channel: UInt16, payload: inout ByteBuffer) throws(AMQPProtocolError) -> AMQPFrame {
        switch type {
        case AMQPFrame.FrameType.method:
            return .method(channel: channel, try AMQP.Method(from: &payload))
        case AMQPFrame.FrameType.header:
            guard channel != 0 else { throw AMQPProtocolError(.invalidChannel) }
            return .header(channel: channel, try decodeContentHeader(&payload))
        case AMQPFrame.FrameType.body:
            guard channel != 0 else { throw AMQPProtocolError(.invalidChannel) }
            return .body(channel: channel, payload)
        default:
            guard channel == 0, payload.readableBytes == 0 else { throw AMQPProtocolError(.invalidHeartbeat) }
            return .heartbeat
        }
    }

    private func decodeContentHeader(_ payload: inout ByteBuffer) throws(AMQPProtocolError) -> AMQPContentHeader {
        let classID = try payload.readAMQPShort()
        let weight = try payload.readAMQPShort()
        let bodySize = try payload.readAMQPLongLong()
        guard bodySize <= UInt64(maxBodySize) else {
            throw AMQPProtocolError(.bodyTooLarge(size: bodySize, limit: maxBodySize))
        }
        guard classID == AMQP.BasicProperties.classID else {
            throw AMQPProtocolError(.unknownContentClass(classID: classID))
        }
        let properties = try AMQP.BasicProperties(from: &payload)
        return AMQPContentHeader(classID: classID, weight: weight, bodySize: bodySize, properties: properties)
    }
}
