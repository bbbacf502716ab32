import NIOCore

/// The pure frame parser: given bytes, either a whole frame, "need more", or a typed error.
/// It reads the 7-byte frame header, checks the size against `maxFrameSize` before waiting for
/// or touching the payload, then checks the end octet and decodes the payload, all in one pass
/// over the buffer's memory.
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
        try parse(&buffer, sharingStrings: nil)
    }

    /// Parses one frame like `parse(_:)`; long short-strings of method frames (consumer tags,
    /// queue names) that `strings` remembers are handed out from it instead of allocated again.
    public func parse(_ buffer: inout ByteBuffer, sharingStrings strings: AMQPStringCache?) throws(AMQPProtocolError) -> AMQPFrame? {
        try buffer.readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) -> AMQPFrame? in
            reader.strings = strings
            return try parse(&reader)
        }
    }

    /// Parses every whole frame at the front of `buffer` in one pass over its memory, handing
    /// each to `body` in order (which owns it: routing can move its parts on without copying),
    /// and consumes the frames handed out. Stops early when `body`
    /// returns false, and at the first frame not all there yet. A frame that cannot be decoded
    /// throws, after the frames before it were handed out and consumed; it stays at the front.
    ///
    /// `body` must not change `buffer`: the frames share its memory, and so does the parser
    /// while this runs.
    public func parseFrames(
        _ buffer: inout ByteBuffer, sharingStrings strings: AMQPStringCache? = nil, _ body: (consuming AMQPFrame) -> Bool
    ) throws(AMQPProtocolError) {
        var consumed = 0
        var failure: AMQPProtocolError?
        buffer.withUnsafeReadableBytes { bytes in
            var reader = AMQPReader(bytes: bytes, source: buffer, offset: 0, end: bytes.count)
            reader.strings = strings
            do throws(AMQPProtocolError) {
                while let frame = try parse(&reader) {
                    consumed = reader.offset
                    guard body(frame) else { return }
                }
            } catch {
                failure = error
            }
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        if let failure { throw failure }
    }

    /// Parses one frame from `reader`; returns nil, leaving the reader where it was, when the
    /// frame is not all there yet.
    @inline(__always)
    func parse(_ reader: inout AMQPReader) throws(AMQPProtocolError) -> AMQPFrame? {
        let start = reader.offset
        guard reader.remaining >= 1 else { return nil }
        let type = try reader.readOctet()
        if type == UInt8(ascii: "A") {
            reader.offset = start
            try checkProtocolHeader(&reader)
            reader.offset = start  // not all eight bytes are here yet
            return nil
        }
        guard type == AMQPFrame.FrameType.method || type == AMQPFrame.FrameType.header
            || type == AMQPFrame.FrameType.body || type == AMQPFrame.FrameType.heartbeat
        else {
            throw AMQPProtocolError(.unknownFrameType(type), frameType: type)
        }
        guard reader.remaining >= 6 else {
            reader.offset = start
            return nil
        }
        let channel = try reader.readShort()
        let payloadSize = Int(try reader.readLong())
        let frameSize = payloadSize + AMQPLimits.frameOverhead
        guard frameSize <= maxFrameSize else {
            throw AMQPProtocolError(.frameTooLarge(size: frameSize, limit: maxFrameSize), frameType: type, channel: channel)
        }
        guard reader.remaining >= payloadSize + 1 else {
            reader.offset = start
            return nil
        }
        let frameEnd = try reader.enterWindow(length: payloadSize)
        let end = try reader.peekOctet(at: reader.end)
        guard end == AMQPFrame.FrameType.end else {
            throw AMQPProtocolError(.invalidFrameEnd(end), frameType: type, channel: channel)
        }
        let frame: AMQPFrame
        do {
            frame = try decodePayload(type: type, channel: channel, payload: &reader)
        } catch {
            throw error.inFrame(type: type, channel: channel)
        }
        reader.leaveWindow(frameEnd)
        reader.offset += 1  // the end octet
        return frame
    }

    /// A peer that does not speak our version answers with its own protocol header: throws
    /// `protocolVersionMismatch` once all eight bytes are here, `unknownFrameType` as soon as
    /// they cannot be one, and returns when more bytes are needed.
    private func checkProtocolHeader(_ reader: inout AMQPReader) throws(AMQPProtocolError) {
        let expected = AMQPProtocolHeader.bytes.prefix(4)  // "AMQP"
        var seen: [UInt8] = []
        while seen.count < 8, reader.remaining > 0 {
            seen.append(try reader.readOctet())
        }
        guard zip(seen, expected).allSatisfy(==) else {
            throw AMQPProtocolError(.unknownFrameType(seen[0]), frameType: seen[0])
        }
        guard seen.count == 8 else { return }
        throw AMQPProtocolError(.protocolVersionMismatch(major: seen[5], minor: seen[6], revision: seen[7]))
    }

    @inline(__always)
    private func decodePayload(type: UInt8, channel: UInt16, payload: inout AMQPReader) throws(AMQPProtocolError) -> AMQPFrame {
        switch type {
        case AMQPFrame.FrameType.method:
            return .method(channel: channel, try AMQP.Method(from: &payload))
        case AMQPFrame.FrameType.header:
            guard channel != 0 else { throw AMQPProtocolError(.invalidChannel) }
            return .header(channel: channel, try decodeContentHeader(&payload))
        case AMQPFrame.FrameType.body:
            guard channel != 0 else { throw AMQPProtocolError(.invalidChannel) }
            return .body(channel: channel, try payload.readSlice(length: payload.remaining))
        default:
            guard channel == 0, payload.remaining == 0 else { throw AMQPProtocolError(.invalidHeartbeat) }
            return .heartbeat
        }
    }

    @inline(__always)
    private func decodeContentHeader(_ payload: inout AMQPReader) throws(AMQPProtocolError) -> AMQPContentHeader {
        let classID = try payload.readShort()
        let weight = try payload.readShort()
        let bodySize = try payload.readLongLong()
        guard bodySize <= UInt64(max(maxBodySize, 0)) else {
            throw AMQPProtocolError(.bodyTooLarge(size: bodySize, limit: maxBodySize))
        }
        guard classID == AMQP.BasicProperties.classID else {
            throw AMQPProtocolError(.unknownContentClass(classID: classID))
        }
        let properties = try AMQP.BasicProperties(from: &payload)
        return AMQPContentHeader(classID: classID, weight: weight, bodySize: bodySize, properties: properties)
    }
}
