import NIOCore

/// The body of a perf message: the send time (nanoseconds of the monotonic clock, big-endian)
/// in its first 8 bytes when it is that long, zeros after.
public enum PerfMessage {
    /// Bytes of the timestamp.
    public static let timestampSize = 8

    /// A body of `size` bytes sent at `nanoseconds`.
    public static func body(size: Int, sentAt nanoseconds: UInt64, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: size)
        if size >= timestampSize {
            buffer.writeInteger(nanoseconds)
            buffer.writeRepeatingByte(0, count: size - timestampSize)
        } else {
            buffer.writeRepeatingByte(0, count: size)
        }
        return buffer
    }

    /// Sets the send time of a body made by `body(size:sentAt:allocator:)` (a body too short to
    /// carry one stays as it is). In place when nothing else holds the body, which is the case
    /// once the previous publish has encoded it: a producer reuses one body for every message.
    public static func stamp(_ body: inout ByteBuffer, sentAt nanoseconds: UInt64) {
        guard body.readableBytes >= timestampSize else { return }
        body.setInteger(nanoseconds, at: body.readerIndex)
    }

    /// The send time a body carries; nil when it is too short to carry one.
    public static func sentAt(_ body: ByteBuffer) -> UInt64? {
        body.getInteger(at: body.readerIndex, as: UInt64.self)
    }
}
