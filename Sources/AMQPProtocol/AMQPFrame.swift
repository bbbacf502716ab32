import NIOCore

/// The header frame of a message: its class, body size and properties.
public struct AMQPContentHeader: Hashable, Sendable {
    /// The content class (60, basic).
    public var classID: UInt16
    /// Unused by AMQP 0-9-1; always 0.
    public var weight: UInt16
    /// The total size of the body that follows in body frames.
    public var bodySize: UInt64
    /// The message properties.
    public var properties: AMQP.BasicProperties

    /// Creates a basic content header.
    public init(classID: UInt16 = AMQP.Basic.classID, weight: UInt16 = 0, bodySize: UInt64, properties: AMQP.BasicProperties) {
        self.classID = classID
        self.weight = weight
        self.bodySize = bodySize
        self.properties = properties
    }
}

/// One AMQP frame.
public enum AMQPFrame: Hashable, Sendable {
    /// A method frame.
    case method(channel: UInt16, AMQP.Method)
    /// A content header frame.
    case header(channel: UInt16, AMQPContentHeader)
    /// A content body frame; the bytes are a slice of what was received, not a copy.
    case body(channel: UInt16, ByteBuffer)
    /// A heartbeat frame (always on channel 0).
    case heartbeat

    /// The frame-type octets.
    public enum FrameType {
        public static let method = UInt8(AMQP.Constants.frameMethod)
        public static let header = UInt8(AMQP.Constants.frameHeader)
        public static let body = UInt8(AMQP.Constants.frameBody)
        public static let heartbeat = UInt8(AMQP.Constants.frameHeartbeat)
        public static let end = UInt8(AMQP.Constants.frameEnd)
    }

    /// The channel the frame belongs to.
    public var channel: UInt16 {
        switch self {
        case .method(let channel, _), .header(let channel, _), .body(let channel, _): channel
        case .heartbeat: 0
        }
    }

    /// The frame-type octet.
    public var frameType: UInt8 {
        switch self {
        case .method: FrameType.method
        case .header: FrameType.header
        case .body: FrameType.body
        case .heartbeat: FrameType.heartbeat
        }
    }
}
