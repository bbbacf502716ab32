import NIOCore

extension ByteBuffer {
    /// A buffer holding a copy of libFuzzer's input.
    public init(fuzzData data: UnsafePointer<UInt8>?, size: Int) {
        self.init(bytes: UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    }

    /// The readable bytes in hex, for failure messages (the first 256 bytes at most).
    public var fuzzHex: String {
        let bytes = getBytes(at: readerIndex, length: min(readableBytes, 256)) ?? []
        let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        return readableBytes > 256 ? hex + "... (\(readableBytes) bytes)" : hex
    }
}

/// Stops the process (which libFuzzer reports as a crash, saving the input) when an invariant
/// does not hold. Used instead of `precondition` so it also fires in release builds.
@inline(never)
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition() {
        fatalError("fuzz invariant violated: \(message())", file: file, line: line)
    }
}
