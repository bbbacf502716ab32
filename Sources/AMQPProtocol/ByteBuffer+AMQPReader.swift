import NIOCore

extension ByteBuffer {
    /// Runs `body` with a reader over the readable bytes and moves the reader index past what it
    /// read; on error the buffer is unchanged.
    @inlinable
    public mutating func readAMQP<T>(_ body: (inout AMQPReader) throws(AMQPProtocolError) -> T) throws(AMQPProtocolError) -> T {
        let value: T
        let consumed: Int
        do {
            (value, consumed) = try withUnsafeReadableBytes { bytes in
                var reader = AMQPReader(bytes: bytes, source: self, offset: 0, end: bytes.count)
                let value = try body(&reader)
                return (value, reader.offset)
            }
        } catch let error as AMQPProtocolError {
            throw error
        } catch {
            // `body` throws only AMQPProtocolError; withUnsafeReadableBytes erases the type.
            throw AMQPProtocolError(.truncated(needed: 0, available: readableBytes))
        }
        moveReaderIndex(forwardBy: consumed)
        return value
    }
}
