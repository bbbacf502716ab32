/// A typed error from decoding or encoding AMQP wire data.
///
/// `kind` says what is wrong; `frameType` and `channel` say which frame it was found in, when
/// the error comes from the frame decoder.
public struct AMQPProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Hashable, Sendable {
        /// A value needed `needed` bytes but only `available` were left in its frame.
        case truncated(needed: Int, available: Int)
        /// A short string to encode is over 255 bytes (its UTF-8 length is given).
        case shortStringTooLong(length: Int)
        /// A string on the wire is not valid UTF-8.
        case invalidUTF8
        /// A field table or array holds a value of an unknown type tag.
        case unknownFieldType(UInt8)
        /// Field tables and arrays are nested deeper than the limit.
        case nestingTooDeep(limit: Int)
        /// A method frame names a (class id, method id) the spec does not have.
        case unknownMethod(classID: UInt16, methodID: UInt16)
        /// A content header names a class without content properties.
        case unknownContentClass(classID: UInt16)
        /// A property flag word has the continuation bit set where the spec has no more properties.
        case propertyFlagsContinuation
        /// A frame's end octet is not 0xCE.
        case invalidFrameEnd(UInt8)
        /// A frame declares `size` bytes in all, over the negotiated `limit` (frame_max).
        case frameTooLarge(size: Int, limit: Int)
        /// A frame of an unknown type.
        case unknownFrameType(UInt8)
        /// A content header announces a body larger than the limit.
        case bodyTooLarge(size: UInt64, limit: Int)
        /// A heartbeat frame on a channel other than 0, or with a payload.
        case invalidHeartbeat
        /// The peer answered with a protocol header: it does not speak this version.
        case protocolVersionMismatch(major: UInt8, minor: UInt8, revision: UInt8)
        /// A frame type may not appear on channel 0 (content) or must (heartbeat).
        case invalidChannel
    }

    /// What went wrong.
    public var kind: Kind
    /// The type of the frame the error was found in, when known.
    public var frameType: UInt8?
    /// The channel of the frame the error was found in, when known.
    public var channel: UInt16?

    /// Creates an error of `kind`, optionally naming the frame it was found in.
    public init(_ kind: Kind, frameType: UInt8? = nil, channel: UInt16? = nil) {
        self.kind = kind
        self.frameType = frameType
        self.channel = channel
    }

    /// The same error, naming the frame it was found in.
    public func inFrame(type: UInt8, channel: UInt16) -> AMQPProtocolError {
        AMQPProtocolError(kind, frameType: type, channel: channel)
    }

    public var description: String {
        var text: String
        switch kind {
        case .truncated(let needed, let available):
            text = "a value needs \(needed) bytes but only \(available) are left in its frame"
        case .shortStringTooLong(let length):
            text = "short string of \(length) bytes is over the 255-byte limit"
        case .invalidUTF8:
            text = "a string is not valid UTF-8"
        case .unknownFieldType(let tag):
            text = "unknown field value type 0x\(String(tag, radix: 16))"
        case .nestingTooDeep(let limit):
            text = "field tables/arrays nested deeper than \(limit)"
        case .unknownMethod(let classID, let methodID):
            text = "unknown method (class \(classID), method \(methodID))"
        case .unknownContentClass(let classID):
            text = "content header for class \(classID), which has no content properties"
        case .propertyFlagsContinuation:
            text = "property flags continue past the last known property"
        case .invalidFrameEnd(let octet):
            text = "frame end octet is 0x\(String(octet, radix: 16)), expected 0xce"
        case .frameTooLarge(let size, let limit):
            text = "frame of \(size) bytes exceeds frame_max \(limit)"
        case .unknownFrameType(let type):
            text = "unknown frame type \(type)"
        case .bodyTooLarge(let size, let limit):
            text = "content body of \(size) bytes exceeds the limit of \(limit)"
        case .invalidHeartbeat:
            text = "heartbeat frame on a non-zero channel or with a payload"
        case .protocolVersionMismatch(let major, let minor, let revision):
            text = "the peer speaks AMQP \(major)-\(minor)-\(revision)"
        case .invalidChannel:
            text = "frame type not allowed on this channel"
        }
        if let frameType { text += " (frame type \(frameType)" + (channel.map { ", channel \($0))" } ?? ")") }
        return text
    }
}
