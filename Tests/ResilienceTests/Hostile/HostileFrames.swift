import AMQPProtocol
import NIOCore

/// Byte-level builders for frames AMQPProtocol's encoder refuses to make (wrong sizes, tables
/// nested too deep, lengths past the end). Well-formed frames come from the encoder.
enum HostileFrames {
    /// A frame with `payload`; its size field says `declaredSize` when given (a lie), the
    /// payload's length otherwise.
    static func frame(type: UInt8, channel: UInt16, payload: [UInt8], declaredSize: UInt32? = nil) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(type)
        buffer.writeInteger(channel)
        buffer.writeInteger(declaredSize ?? UInt32(truncatingIfNeeded: payload.count))
        buffer.writeBytes(payload)
        buffer.writeInteger(AMQPFrame.FrameType.end)
        return buffer
    }

    /// Only the 7-byte header of a frame announcing `payloadSize` bytes (the rest never comes).
    static func frameHeader(type: UInt8, channel: UInt16, payloadSize: UInt32) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(type)
        buffer.writeInteger(channel)
        buffer.writeInteger(payloadSize)
        return buffer
    }

    /// A method frame's payload: class id, method id, then `arguments` as they are.
    static func methodFrame(channel: UInt16, classID: UInt16, methodID: UInt16, arguments: [UInt8]) -> ByteBuffer {
        frame(type: AMQPFrame.FrameType.method, channel: channel, payload: bigEndian(classID) + bigEndian(methodID) + arguments)
    }

    /// A basic content header frame announcing `bodySize`, with property flags `flags` followed
    /// by the raw `properties`.
    static func contentHeader(channel: UInt16, bodySize: UInt64, flags: UInt16 = 0, properties: [UInt8] = []) -> ByteBuffer {
        let payload = bigEndian(AMQP.Basic.classID) + bigEndian(UInt16(0)) + bigEndian(bodySize) + bigEndian(flags) + properties
        return frame(type: AMQPFrame.FrameType.header, channel: channel, payload: payload)
    }

    /// The property flag of `headers` in basic properties.
    static let headersFlag: UInt16 = 0x2000

    /// A field table (length prefix included) nested `depth` deep: each level holds one entry,
    /// `key` -> the next level (`F`); the innermost level is empty. Each level costs
    /// 6 + key length bytes.
    static func nestedTable(depth: Int, key: String = "a") -> [UInt8] {
        let keyBytes = Array(key.utf8.prefix(255))
        let perLevel = 1 + keyBytes.count + 1 + 4  // key length, key, 'F', the inner table's length
        var bytes: [UInt8] = []
        bytes.reserveCapacity(depth * perLevel)
        for level in 0..<max(depth, 1) {
            let contentLength = (max(depth, 1) - 1 - level) * perLevel
            bytes += bigEndian(UInt32(truncatingIfNeeded: contentLength))
            if level < depth - 1 {
                bytes.append(UInt8(keyBytes.count))
                bytes += keyBytes
                bytes.append(UInt8(ascii: "F"))
            }
        }
        return bytes
    }

    /// A long string: 4-byte length, then the bytes.
    static func longString(_ text: String) -> [UInt8] {
        bigEndian(UInt32(truncatingIfNeeded: text.utf8.count)) + Array(text.utf8)
    }

    /// connection.start (0-9) with raw `serverProperties` bytes (a field table, length included).
    static func start(rawServerProperties: [UInt8]) -> ByteBuffer {
        let arguments: [UInt8] = [0, 9] + rawServerProperties + longString("PLAIN AMQPLAIN") + longString("en_US")
        return methodFrame(
            channel: 0, classID: AMQP.Connection.Start.classID, methodID: AMQP.Connection.Start.methodID, arguments: arguments
        )
    }

    /// `count` deterministic garbage bytes starting with 0xDE (no frame type).
    static func garbage(count: Int) -> [UInt8] {
        var state: UInt32 = 0xDEAD_BEEF
        var bytes: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF]
        while bytes.count < count {
            state = state &* 1_664_525 &+ 1_013_904_223
            bytes.append(UInt8(truncatingIfNeeded: state >> 24))
        }
        return Array(bytes.prefix(count))
    }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
}
