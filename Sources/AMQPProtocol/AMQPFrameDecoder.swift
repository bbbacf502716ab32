import NIOCore

/// The inbound frame decoder for a NIO pipeline (wrap it in `ByteToMessageHandler`), over
/// `AMQPFrameParser`. Raise `maxFrameSize` after connection.tune.
public struct AMQPFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = AMQPFrame

    /// The parser holding the limits.
    public var parser: AMQPFrameParser

    /// Creates a decoder with the pre-tune frame limit (4096) and the default 64 MiB body limit.
    public init(maxFrameSize: Int = AMQPLimits.minimumFrameMax, maxBodySize: Int = AMQPLimits.defaultMaxBodySize) {
        parser = AMQPFrameParser(maxFrameSize: maxFrameSize, maxBodySize: maxBodySize)
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> AMQPFrame? {
        try parser.parse(&buffer)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> AMQPFrame? {
        try parser.parse(&buffer)
    }
}
