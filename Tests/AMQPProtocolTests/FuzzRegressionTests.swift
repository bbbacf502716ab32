import AMQPProtocol
import NIOCore
import Testing

/// Inputs found by the libFuzzer targets in Fuzz/ (`Fuzz/run`), replayed through the decoder
/// that failed on them with the invariants the fuzzers check: a decoded value or a typed
/// `AMQPProtocolError`, never a trap; "need more" and errors consume nothing; feeding the bytes
/// in pieces changes nothing; whatever decodes re-encodes to bytes that decode to an equal value.
///
/// To add a crash: take the bytes `Fuzz/run` prints for the crashing input (for FuzzRoundTrip,
/// drop the first byte, which only picks the codec), add a case below with the outcome the
/// decoder must give, and name the target and artifact it came from.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    // MARK: - Cases

    /// An input of the frame stream fuzzer and how parsing it must end.
    struct FrameStreamCase: Sendable, CustomTestStringConvertible {
        var origin: String
        var bytes: [UInt8]
        /// The frames the pre-tune parser (frame_max 4096) returns before it stops.
        var frames: Int
        /// Why it stops: nil when it asks for more bytes, else the error.
        var error: AMQPProtocolError.Kind?

        var testDescription: String { origin }
    }

    static let frameStreamCases: [FrameStreamCase] = [
        // FuzzFrameParser crash-6dcd4ce23d88e2ee9568ba546c007c63d9131c1b (and FuzzRoundTrip
        // crash-801c34269f74ed383fc97de33604b8a905adb635, "AA" = frames mode + "A"): the first
        // byte of a protocol header. The parser returned nil but had consumed the byte, so the
        // rest of a header arriving later was read as a frame of unknown type 'M'.
        FrameStreamCase(origin: "FuzzFrameParser: 'A', a partial protocol header", bytes: [0x41], frames: 0, error: nil),
        FrameStreamCase(origin: "a partial protocol header after a heartbeat",
                        bytes: [0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xCE, 0x41, 0x4D, 0x51, 0x50, 0x00],
                        frames: 1, error: nil),
        FrameStreamCase(origin: "a whole protocol header, 0-9-1",
                        bytes: [0x41, 0x4D, 0x51, 0x50, 0x00, 0x00, 0x09, 0x01],
                        frames: 0, error: .protocolVersionMismatch(major: 0, minor: 9, revision: 1)),
        FrameStreamCase(origin: "'AM' then a byte that is not 'Q'", bytes: [0x41, 0x4D, 0x00], frames: 0, error: .unknownFrameType(0x41)),
    ]

    // MARK: - Tests

    @Test("frame streams", arguments: frameStreamCases)
    func frameStream(_ testCase: FrameStreamCase) throws {
        let small = Self.parseStream(testCase.bytes, parser: AMQPFrameParser())
        #expect(small.frames.count == testCase.frames)
        #expect(small.error?.kind == testCase.error)

        // The largest frame limit agrees until the small one refuses a frame as too large.
        let large = Self.parseStream(testCase.bytes, parser: Self.largestParser)
        #expect(Array(large.frames.prefix(small.frames.count)) == small.frames)
        if case .frameTooLarge = small.error?.kind {} else {
            #expect(large == small)
        }

        // Byte by byte, as if every byte came in its own read, and through the NIO decoder.
        #expect(Self.parseStream(testCase.bytes, parser: AMQPFrameParser(), chunkSize: 1) == small)
        #expect(Self.decodeWithProcessor(testCase.bytes) == small)

        for frame in large.frames {
            try Self.expectRoundTrip(frame)
        }
    }

    @Test("a protocol header split anywhere is still recognised")
    func splitProtocolHeader() throws {
        let header: [UInt8] = [0x41, 0x4D, 0x51, 0x50, 0x00, 0x00, 0x09, 0x01]
        for split in 1..<header.count {
            var buffer = ByteBuffer(bytes: header[..<split])
            #expect(try AMQPFrameParser().parse(&buffer) == nil, "after \(split) bytes")
            #expect(buffer.readerIndex == 0, "after \(split) bytes the parser must have consumed nothing")
            buffer.writeBytes(header[split...])
            #expect(throws: AMQPProtocolError(.protocolVersionMismatch(major: 0, minor: 9, revision: 1))) {
                _ = try AMQPFrameParser().parse(&buffer)
            }
        }
    }

    // MARK: - Replay

    /// How a run of the parser went: the frames it returned, then the error that stopped it
    /// (nil when it asked for more bytes).
    struct StreamResult: Equatable {
        var frames: [AMQPFrame] = []
        var error: AMQPProtocolError?
    }

    static let largestParser = AMQPFrameParser(maxFrameSize: AMQPLimits.largestPossibleFrame)

    /// Parses frames until the parser asks for more or throws, feeding `chunkSize` bytes at a
    /// time when given; checks that nil and errors consume nothing and a frame consumes exactly
    /// its header, payload and end octet.
    static func parseStream(
        _ bytes: [UInt8],
        parser: AMQPFrameParser,
        chunkSize: Int? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> StreamResult {
        var result = StreamResult()
        var buffer = ByteBuffer()
        var rest = bytes[...]
        repeat {
            let chunk = rest.prefix(chunkSize ?? rest.count)
            buffer.writeBytes(chunk)
            rest = rest.dropFirst(chunk.count)
            while true {
                let before = buffer
                do {
                    guard let frame = try parser.parse(&buffer) else {
                        #expect(buffer.readerIndex == before.readerIndex, "nil must consume nothing", sourceLocation: sourceLocation)
                        break
                    }
                    let size = before.getInteger(at: before.readerIndex + 3, as: UInt32.self).map { Int($0) + 8 }
                    #expect(buffer.readerIndex - before.readerIndex == size, "a frame consumes its size + 8", sourceLocation: sourceLocation)
                    result.frames.append(frame)
                } catch {
                    #expect(buffer.readerIndex == before.readerIndex, "an error must consume nothing", sourceLocation: sourceLocation)
                    result.error = error
                    return result
                }
            }
        } while !rest.isEmpty
        return result
    }

    /// The bytes through `AMQPFrameDecoder` in NIO's single-step processor, EOF included.
    static func decodeWithProcessor(_ bytes: [UInt8]) -> StreamResult {
        let processor = NIOSingleStepByteToMessageProcessor(AMQPFrameDecoder())
        var result = StreamResult()
        do {
            try processor.process(buffer: ByteBuffer(bytes: bytes)) { result.frames.append($0) }
            try processor.finishProcessing(seenEOF: true) { result.frames.append($0) }
        } catch {
            result.error = error as? AMQPProtocolError
        }
        return result
    }

    /// Encodes `frame`, parses it back and expects the same frame, all bytes consumed, and the
    /// same bytes when encoded again.
    static func expectRoundTrip(_ frame: AMQPFrame, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var encoded = ByteBuffer()
        try encoded.writeAMQPFrame(frame)
        var reading = encoded
        let decoded = try #require(try largestParser.parse(&reading), sourceLocation: sourceLocation)
        #expect(decoded == frame, sourceLocation: sourceLocation)
        #expect(reading.readableBytes == 0, sourceLocation: sourceLocation)
        var again = ByteBuffer()
        try again.writeAMQPFrame(decoded)
        #expect(again == encoded, sourceLocation: sourceLocation)
    }
}
