import AMQPProtocol
import NIOCore
import Testing

// Helpers that build wire bytes by hand (never through the code under test) and run the parser.

/// The bytes of an ASCII/UTF-8 string, without a length.
func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A 16-bit big-endian integer.
func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

/// A 32-bit big-endian integer.
func be32(_ value: UInt32) -> [UInt8] { (0..<4).reversed().map { UInt8((value >> (8 * UInt32($0))) & 0xFF) } }

/// A 64-bit big-endian integer.
func be64(_ value: UInt64) -> [UInt8] { (0..<8).reversed().map { UInt8((value >> (8 * UInt64($0))) & 0xFF) } }

/// A frame laid out by the spec's rules: type, channel, payload size, payload, end octet.
func rawFrame(type: UInt8, channel: UInt16, payload: [UInt8], end: UInt8 = 0xCE) -> [UInt8] {
    [type] + be16(channel) + be32(UInt32(payload.count)) + payload + [end]
}

extension ByteBuffer {
    /// The readable bytes as an array.
    var bytes: [UInt8] { Array(readableBytesView) }

    /// The readable bytes in hex, for failure messages.
    var hex: String {
        readableBytesView.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
    }
}

/// A parser that takes any frame size (for round trips of large random values).
let roomyParser = AMQPFrameParser(maxFrameSize: 1 << 24)

/// Parses every whole frame at the front of `buffer`, stopping at the first "need more".
func parseAll(_ buffer: inout ByteBuffer, parser: AMQPFrameParser = roomyParser) throws(AMQPProtocolError) -> [AMQPFrame] {
    var frames: [AMQPFrame] = []
    while let frame = try parser.parse(&buffer) {
        frames.append(frame)
    }
    return frames
}

/// Expects parsing `bytes` to throw exactly `expected` (kind, frame type and channel) and to consume nothing.
func expectParseError(
    _ bytes: [UInt8],
    parser: AMQPFrameParser = AMQPFrameParser(),
    throws expected: AMQPProtocolError,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var buffer = ByteBuffer(bytes: bytes)
    #expect(throws: expected, sourceLocation: sourceLocation) {
        _ = try parser.parse(&buffer)
    }
    #expect(buffer.readerIndex == 0, "a failed parse must consume nothing", sourceLocation: sourceLocation)
    #expect(buffer.readableBytes == bytes.count, sourceLocation: sourceLocation)
}

/// Expects `bytes` to parse as exactly `expected` frames, consuming everything.
func expectFrames(
    _ bytes: [UInt8],
    parser: AMQPFrameParser = AMQPFrameParser(),
    _ expected: [AMQPFrame],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var buffer = ByteBuffer(bytes: bytes)
    do {
        let frames = try parseAll(&buffer, parser: parser)
        #expect(frames == expected, sourceLocation: sourceLocation)
        #expect(buffer.readableBytes == 0, "bytes left over: \(buffer.hex)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

/// Encodes `method` through its own struct's codec and decodes it back with the same type.
/// Returns whether the decoded value equals `method`, the bytes left over, and the argument bytes.
func structRoundTrip<M: AMQPMethodProtocol>(_ method: M) throws(AMQPProtocolError) -> (equal: Bool, leftover: Int, bytes: ByteBuffer) {
    var buffer = ByteBuffer()
    try method.encode(into: &buffer)
    let bytes = buffer
    let decoded = try M(from: &buffer)
    return (decoded == method, buffer.readableBytes, bytes)
}

/// Writes a method frame through the generic `writeAMQPMethodFrame` (no `AMQP.Method` wrapping).
func genericMethodFrame<M: AMQPMethodProtocol>(channel: UInt16, _ method: M) throws(AMQPProtocolError) -> ByteBuffer {
    var buffer = ByteBuffer()
    try buffer.writeAMQPMethodFrame(channel: channel, method: method)
    return buffer
}
