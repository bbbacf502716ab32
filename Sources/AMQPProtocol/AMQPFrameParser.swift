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

    /// Parses one frame like `parse(_:)`; the short strings of method frames (consumer tags,
    /// routing keys, exchange and queue names) that `strings` remembers are handed out from it
    /// instead of built again.
    public func parse(_ buffer: inout ByteBuffer, sharingStrings strings: AMQPStringCache?) throws(AMQPProtocolError) -> AMQPFrame? {
        try withExtendedLifetime(strings) { () throws(AMQPProtocolError) -> AMQPFrame? in
            try buffer.readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) -> AMQPFrame? in
                reader.strings = strings.map(Unmanaged.passUnretained)
                return try parse(&reader)
            }
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
        try parseEach(&buffer, sharingStrings: strings) { (reader: inout AMQPReader) throws(AMQPProtocolError) -> Bool? in
            guard let frame = try parse(&reader) else { return nil }
            return body(frame)
        }
    }

    /// Parses frames as `parseFrames(_:sharingStrings:_:)` does, except for a message the broker
    /// delivers (basic.deliver) whose content header frame and body frame (one, or none for an
    /// empty body) follow it whole, on its channel: that message goes to `deliveries` in one
    /// call, its three frames decoded and consumed together, without building a frame for
    /// each. Every other frame goes to `frames`, and so does a delivery frame by frame when its
    /// content is not all here yet, is split over several body frames, or is not well formed.
    /// Errors are thrown at the same frame, after the same frames were handed out, as
    /// `parseFrames(_:sharingStrings:_:)` throws them.
    ///
    /// Neither closure may change `buffer`. Parsing stops when one returns false.
    public func parseFrames(
        _ buffer: inout ByteBuffer, sharingStrings strings: AMQPStringCache? = nil,
        deliveries: (
            _ channel: UInt16, _ deliver: consuming AMQP.Basic.Deliver, _ properties: consuming AMQP.BasicProperties,
            _ body: consuming ByteBuffer
        ) -> Bool,
        frames: (consuming AMQPFrame) -> Bool
    ) throws(AMQPProtocolError) {
        try parseEach(&buffer, sharingStrings: strings) { (reader: inout AMQPReader) throws(AMQPProtocolError) -> Bool? in
            if Self.startsDelivery(reader) {
                return try parseDelivery(&reader, deliveries: deliveries, frames: frames)
            }
            guard let frame = try parse(&reader) else { return nil }
            return frames(frame)
        }
    }

    /// Runs `next` over the readable bytes of `buffer` until it returns nil (nothing whole is
    /// left) or false (its receiver wants no more), then consumes what it read up to its last
    /// non-nil answer. An error is thrown after consuming what came before it.
    @inline(__always)
    private func parseEach(
        _ buffer: inout ByteBuffer, sharingStrings strings: AMQPStringCache?,
        _ next: (inout AMQPReader) throws(AMQPProtocolError) -> Bool?
    ) throws(AMQPProtocolError) {
        var consumed = 0
        var failure: AMQPProtocolError?
        withExtendedLifetime(strings) {
            buffer.withUnsafeReadableBytes { bytes in
                var reader = AMQPReader(bytes: bytes, source: buffer, offset: 0, end: bytes.count)
                reader.strings = strings.map(Unmanaged.passUnretained)
                do throws(AMQPProtocolError) {
                    while let more = try next(&reader) {
                        consumed = reader.offset
                        guard more else { return }
                    }
                } catch {
                    failure = error
                }
            }
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        if let failure { throw failure }
    }

    /// Whether the bytes at the reader start a method frame whose ids are basic.deliver's (the
    /// ids may lie past the frame's payload, when it is shorter: parsing then fails as usual).
    @inline(__always)
    private static func startsDelivery(_ reader: borrowing AMQPReader) -> Bool {
        guard reader.remaining >= 11, reader.bytes[reader.offset] == AMQPFrame.FrameType.method else { return false }
        let ids = UInt32(bigEndian: reader.bytes.loadUnaligned(fromByteOffset: reader.offset + 7, as: UInt32.self))
        return ids == UInt32(AMQP.Basic.classID) << 16 | UInt32(AMQP.Basic.Deliver.methodID)
    }

    /// Parses the basic.deliver method frame at the reader and, when its content follows whole
    /// in one body frame at most, the content frames too: hands the message to `deliveries`, or
    /// else the method frame alone to `frames`, leaving the reader after it. Returns what the
    /// closure returned, or nil (consuming nothing) when the method frame is not all here.
    @inline(__always)
    private func parseDelivery(
        _ reader: inout AMQPReader,
        deliveries: (UInt16, consuming AMQP.Basic.Deliver, consuming AMQP.BasicProperties, consuming ByteBuffer) -> Bool,
        frames: (consuming AMQPFrame) -> Bool
    ) throws(AMQPProtocolError) -> Bool? {
        guard let method = try enterFrame(&reader) else { return nil }
        let deliver: AMQP.Basic.Deliver
        do {
            // Read as `AMQP.Method(from:)` reads them, so that a short payload fails alike.
            _ = try reader.readShort()
            _ = try reader.readShort()
            deliver = try AMQP.Basic.Deliver(from: &reader)
        } catch {
            throw error.inFrame(type: method.type, channel: method.channel)
        }
        leaveFrame(&reader, method)
        let channel = method.channel
        let afterMethod = (offset: reader.offset, end: reader.end)
        content: if channel != 0 {
            // Any frame that is not this delivery's whole content (or not all here, or that
            // fails) is left for the frame-by-frame path, which reports what is wrong with it.
            guard reader.remaining >= 1, reader.bytes[reader.offset] == AMQPFrame.FrameType.header,
                let headerFrame = try? enterFrame(&reader), headerFrame.channel == channel,
                let (_, _, bodySize, properties) = try? decodeContentHeaderFields(&reader)
            else { break content }
            leaveFrame(&reader, headerFrame)
            guard bodySize > 0 else {
                return deliveries(channel, deliver, properties, ByteBuffer())
            }
            guard reader.remaining >= 1, reader.bytes[reader.offset] == AMQPFrame.FrameType.body,
                let bodyFrame = try? enterFrame(&reader), bodyFrame.channel == channel,
                UInt64(reader.remaining) == bodySize,
                let body = try? reader.readSlice(length: reader.remaining)
            else { break content }
            leaveFrame(&reader, bodyFrame)
            return deliveries(channel, deliver, properties, body)
        }
        reader.offset = afterMethod.offset
        reader.end = afterMethod.end
        return frames(.method(channel: channel, .basicDeliver(deliver)))
    }

    /// Parses one frame from `reader`; returns nil, leaving the reader where it was, when the
    /// frame is not all there yet.
    @inline(__always)
    func parse(_ reader: inout AMQPReader) throws(AMQPProtocolError) -> AMQPFrame? {
        guard let frame = try enterFrame(&reader) else { return nil }
        let decoded: AMQPFrame
        do {
            decoded = try decodePayload(type: frame.type, channel: frame.channel, payload: &reader)
        } catch {
            throw error.inFrame(type: frame.type, channel: frame.channel)
        }
        leaveFrame(&reader, frame)
        return decoded
    }

    /// A frame whose payload the reader is narrowed to (`enterFrame`).
    struct EnteredFrame {
        var type: UInt8
        var channel: UInt16
        /// The window to restore once the payload is read.
        var savedEnd: Int
    }

    /// Reads a frame's header, checks its type and size and its end octet, and narrows the
    /// reader to its payload; returns nil, leaving the reader where it was, when the frame is
    /// not all there yet.
    @inline(__always)
    private func enterFrame(_ reader: inout AMQPReader) throws(AMQPProtocolError) -> EnteredFrame? {
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
        let savedEnd = try reader.enterWindow(length: payloadSize)
        let end = try reader.peekOctet(at: reader.end)
        guard end == AMQPFrame.FrameType.end else {
            throw AMQPProtocolError(.invalidFrameEnd(end), frameType: type, channel: channel)
        }
        return EnteredFrame(type: type, channel: channel, savedEnd: savedEnd)
    }

    /// Moves past the rest of an entered frame's payload and its end octet.
    @inline(__always)
    private func leaveFrame(_ reader: inout AMQPReader, _ frame: EnteredFrame) {
        reader.leaveWindow(frame.savedEnd)
        reader.offset += 1  // the end octet
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
        let (classID, weight, bodySize, properties) = try decodeContentHeaderFields(&payload)
        return AMQPContentHeader(classID: classID, weight: weight, bodySize: bodySize, properties: properties)
    }

    /// A content header's fields, as `decodeContentHeader` checks them: apart, so that a whole
    /// delivery moves its properties on without copying them out of an `AMQPContentHeader`
    /// (a retain and a release).
    @inline(__always)
    private func decodeContentHeaderFields(
        _ payload: inout AMQPReader
    ) throws(AMQPProtocolError) -> (classID: UInt16, weight: UInt16, bodySize: UInt64, properties: AMQP.BasicProperties) {
        let classID = try payload.readShort()
        let weight = try payload.readShort()
        let bodySize = try payload.readLongLong()
        guard bodySize <= UInt64(max(maxBodySize, 0)) else {
            throw AMQPProtocolError(.bodyTooLarge(size: bodySize, limit: maxBodySize))
        }
        guard classID == AMQP.BasicProperties.classID else {
            throw AMQPProtocolError(.unknownContentClass(classID: classID))
        }
        return (classID, weight, bodySize, try AMQP.BasicProperties(from: &payload))
    }
}
