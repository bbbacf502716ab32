import AMQPProtocolFuzzable
import NIOCore

/// How a run of the frame parser over some bytes went: the frames it returned, then how it stopped.
public struct FrameStreamResult: Equatable {
    /// How the parser stopped.
    public enum End: Equatable {
        /// It returned nil: the rest is an incomplete frame (or nothing).
        case needMore
        /// It threw.
        case error(AMQPProtocolError)
    }

    public var frames: [AMQPFrame]
    public var end: End
}

/// Drives `AMQPFrameParser` the way a connection does and checks its contract on every call.
public enum FrameStream {
    /// One parse call's outcome.
    enum Step {
        case frame(AMQPFrame)
        case needMore
        case error(AMQPProtocolError)
    }

    /// Parses frames from the front of `input` until the parser returns nil or throws.
    public static func parseAll(_ input: ByteBuffer, parser: AMQPFrameParser) -> FrameStreamResult {
        var buffer = input
        var frames: [AMQPFrame] = []
        while true {
            switch step(&buffer, parser: parser) {
            case .frame(let frame): frames.append(frame)
            case .needMore: return FrameStreamResult(frames: frames, end: .needMore)
            case .error(let error): return FrameStreamResult(frames: frames, end: .error(error))
            }
        }
    }

    /// Feeds `input` to the parser `chunkSize` bytes at a time, parsing after each chunk as a
    /// channel handler does (with `strings`, through that cache, as a connection does); the
    /// result must not depend on how the bytes arrived.
    public static func parseIncrementally(
        _ input: ByteBuffer, parser: AMQPFrameParser, chunkSize: Int, strings: AMQPStringCache? = nil
    ) -> FrameStreamResult {
        var rest = input
        var buffer = ByteBuffer()
        var frames: [AMQPFrame] = []
        while true {
            parsing: while true {
                switch step(&buffer, parser: parser, strings: strings) {
                case .frame(let frame): frames.append(frame)
                case .needMore: break parsing
                case .error(let error): return FrameStreamResult(frames: frames, end: .error(error))
                }
            }
            guard rest.readableBytes > 0, var chunk = rest.readSlice(length: min(chunkSize, rest.readableBytes)) else {
                return FrameStreamResult(frames: frames, end: .needMore)
            }
            buffer.writeBuffer(&chunk)
        }
    }

    /// Reads `input` as a list of (type octet, 16-bit channel, 16-bit payload length, payload)
    /// and lays each out as a well-formed frame: right size field, payload, 0xCE. Random bytes
    /// rarely get a frame's size and end octet right, so this reaches the payload decoders
    /// (methods, content headers) through the parser far more often.
    public static func framed(_ input: ByteBuffer) -> ByteBuffer {
        var rest = input
        var out = ByteBuffer()
        while let type = rest.readInteger(as: UInt8.self),
              let channel = rest.readInteger(endianness: .big, as: UInt16.self),
              let length = rest.readInteger(endianness: .big, as: UInt16.self)
        {
            var payload = rest.readSlice(length: min(Int(length), rest.readableBytes))!
            out.writeInteger(type)
            out.writeInteger(channel, endianness: .big)
            out.writeInteger(UInt32(payload.readableBytes), endianness: .big)
            out.writeBuffer(&payload)
            out.writeInteger(UInt8(0xCE))
        }
        return out
    }

    /// The same bytes through `AMQPFrameDecoder` in NIO's single-step processor, EOF included.
    public static func parseWithDecoder(_ input: ByteBuffer, maxFrameSize: Int) -> FrameStreamResult {
        let processor = NIOSingleStepByteToMessageProcessor(AMQPFrameDecoder(maxFrameSize: maxFrameSize))
        var frames: [AMQPFrame] = []
        do {
            try processor.process(buffer: input) { frames.append($0) }
            try processor.finishProcessing(seenEOF: true) { frames.append($0) }
        } catch let error as AMQPProtocolError {
            return FrameStreamResult(frames: frames, end: .error(error))
        } catch {
            fatalError("AMQPFrameDecoder threw a foreign error: \(error)")
        }
        return FrameStreamResult(frames: frames, end: .needMore)
    }

    /// The same bytes through `parseFrames(_:sharingStrings:deliveries:frames:)`, each whole
    /// delivery written out as the frames it came in, and what it left unconsumed; with
    /// `strings`, method frames' strings go through that cache, as a connection's do.
    public static func parseWithWholeDeliveries(
        _ input: ByteBuffer, parser: AMQPFrameParser, strings: AMQPStringCache? = nil
    ) -> (result: FrameStreamResult, left: Int) {
        var buffer = input
        var frames: [AMQPFrame] = []
        var end = FrameStreamResult.End.needMore
        do {
            try parser.parseFrames(
                &buffer, sharingStrings: strings,
                deliveries: { channel, deliver, properties, body in
                    let bodySize = body.readableBytes
                    frames.append(.method(channel: channel, .basicDeliver(deliver)))
                    frames.append(.header(channel: channel, AMQPContentHeader(bodySize: UInt64(bodySize), properties: properties)))
                    if bodySize > 0 { frames.append(.body(channel: channel, body)) }
                    return true
                },
                frames: { frame in
                    frames.append(frame)
                    return true
                }
            )
        } catch {
            end = .error(error)
        }
        return (FrameStreamResult(frames: frames, end: end), buffer.readableBytes)
    }

    /// `result`'s frames encoded again, and its end: equal only when every string in them has
    /// the same UTF-8 (`String`'s `==` also equates canonically equivalent strings, "é" and
    /// "e\u{301}"). A frame that does not encode is described instead.
    public static func exactBytes(_ result: FrameStreamResult) -> [UInt8] {
        var buffer = ByteBuffer()
        for frame in result.frames {
            do {
                try buffer.writeAMQPFrame(frame)
            } catch {
                buffer.writeString(String(reflecting: frame))
            }
        }
        buffer.writeString(String(reflecting: result.end))
        return Array(buffer.readableBytesView)
    }

    /// `result` with every content header's weight 0: AMQP 0-9-1 leaves it unused, and a whole
    /// delivery does not carry it.
    public static func withoutWeights(_ result: FrameStreamResult) -> FrameStreamResult {
        var result = result
        result.frames = result.frames.map { frame in
            guard case .header(let channel, var header) = frame else { return frame }
            header.weight = 0
            return .header(channel: channel, header)
        }
        return result
    }

    /// The parser with a small limit must agree with the one with a large limit frame by frame,
    /// until it stops on a frame over its limit.
    public static func checkLimitsAgree(small: FrameStreamResult, large: FrameStreamResult, input: ByteBuffer) {
        fuzzCheck(large.frames.count >= small.frames.count, "the larger frame limit parsed fewer frames; input \(input.fuzzHex)")
        for (a, b) in zip(small.frames, large.frames) {
            fuzzCheck(a == b, "frame limits disagree on a frame: \(a) vs \(b); input \(input.fuzzHex)")
        }
        if case .error(let error) = small.end, case .frameTooLarge = error.kind {
            return
        }
        fuzzCheck(small == large, "frame limits disagree: \(small) vs \(large); input \(input.fuzzHex)")
    }

    /// One parse call, with the parser's contract checked: nil and errors consume nothing; a frame
    /// consumes exactly its 7-byte header, payload and end octet, and agrees with its header.
    static func step(_ buffer: inout ByteBuffer, parser: AMQPFrameParser, strings: AMQPStringCache? = nil) -> Step {
        let before = buffer
        let start = before.readerIndex
        let type = before.getInteger(at: start, as: UInt8.self)
        let channel = before.readableBytes >= 3 ? before.getInteger(at: start + 1, endianness: .big, as: UInt16.self) : nil
        let size = before.readableBytes >= 7 ? before.getInteger(at: start + 3, endianness: .big, as: UInt32.self) : nil
        do {
            guard let frame = try parser.parse(&buffer, sharingStrings: strings) else {
                fuzzCheck(buffer.readerIndex == start && buffer.writerIndex == before.writerIndex, "parse returned nil but consumed bytes; input \(before.fuzzHex)")
                return .needMore
            }
            let consumed = buffer.readerIndex - start
            fuzzCheck(type == frame.frameType, "frame type \(frame.frameType) but the header says \(String(describing: type)); input \(before.fuzzHex)")
            fuzzCheck(channel == frame.channel, "frame channel \(frame.channel) but the header says \(String(describing: channel)); input \(before.fuzzHex)")
            fuzzCheck(size.map { Int($0) + 8 } == consumed, "consumed \(consumed) bytes for a frame of payload size \(String(describing: size)); input \(before.fuzzHex)")
            fuzzCheck(consumed <= parser.maxFrameSize, "frame of \(consumed) bytes over the limit \(parser.maxFrameSize); input \(before.fuzzHex)")
            switch frame {
            case .header(_, let header):
                fuzzCheck(header.bodySize <= UInt64(parser.maxBodySize), "body size \(header.bodySize) over the limit; input \(before.fuzzHex)")
            case .body(_, let body):
                fuzzCheck(size.map(Int.init) == body.readableBytes, "body of \(body.readableBytes) bytes in a frame of \(String(describing: size)); input \(before.fuzzHex)")
            case .method, .heartbeat:
                break
            }
            _ = frame.hashValue
            return .frame(frame)
        } catch {
            fuzzCheck(buffer.readerIndex == start && buffer.writerIndex == before.writerIndex, "parse threw \(error) but consumed bytes; input \(before.fuzzHex)")
            if let frameType = error.frameType {
                fuzzCheck(frameType == type, "error names frame type \(frameType), the header says \(String(describing: type)); input \(before.fuzzHex)")
            }
            if let errorChannel = error.channel {
                fuzzCheck(errorChannel == channel, "error names channel \(errorChannel), the header says \(String(describing: channel)); input \(before.fuzzHex)")
            }
            _ = error.description
            return .error(error)
        }
    }
}
