import NIOCore

extension ByteBuffer {
    /// Reserves `size` bytes, lets `body` write exactly that many through an `AMQPWriter`, and
    /// commits them.
    @inlinable
    public mutating func writeAMQP(size: Int, _ body: (inout AMQPWriter) -> Void) {
        guard size > 0 else { return }
        writeWithUnsafeMutableBytes(minimumWritableBytes: size) { bytes in
            var writer = AMQPWriter(base: bytes.baseAddress!)
            body(&writer)
            return writer.offset
        }
    }
}
