import AMQPProtocolFuzzable
import FuzzSupport
import NIOCore

// The frame stream decoder over arbitrary bytes: AMQPFrameParser called repeatedly until it
// returns nil or throws, with the pre-tune frame_max (4096) and with the largest possible one;
// then again over the input laid out as well-formed frames (FrameStream.framed).
// Checked: the parser's contract on every call (see FrameStream.step); both limits agree until
// the small one rejects a frame as too large; feeding the bytes in small chunks gives the same
// frames and end; AMQPFrameDecoder in NIO's processor agrees with the parser; so does the parse
// that hands out whole deliveries, with each delivery written out as its frames, and so does
// that parse and the chunked one with a string cache kept from input to input (a connection's
// cache sees every frame of the connection), down to the strings' bytes.

func fuzzFrameParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = ByteBuffer(fuzzData: data, size: size)
    checkStream(input)
    // The same bytes as a list of frames with their sizes and end octets made right.
    checkStream(FrameStream.framed(input))
    return 0
}

/// The string cache of every parse with one: entries remembered from earlier inputs must never
/// change what a later input decodes to. Used by the fuzzing thread only.
nonisolated(unsafe) let sharedStrings = AMQPStringCache(capacity: 4)

func checkStream(_ input: ByteBuffer) {
    let size = input.readableBytes
    let smallParser = AMQPFrameParser()
    let small = FrameStream.parseAll(input, parser: smallParser)
    let large = FrameStream.parseAll(input, parser: AMQPFrameParser(maxFrameSize: AMQPLimits.largestPossibleFrame))
    FrameStream.checkLimitsAgree(small: small, large: large, input: input)

    // Byte by byte for short inputs, in a few dozen chunks for longer ones.
    let chunkSize = max(1, size / 64)
    let incremental = FrameStream.parseIncrementally(input, parser: smallParser, chunkSize: chunkSize)
    fuzzCheck(incremental == small, "chunks of \(chunkSize) bytes parse differently: \(incremental) vs \(small); input \(input.fuzzHex)")

    let whole = FrameStream.parseWithWholeDeliveries(input, parser: smallParser)
    fuzzCheck(
        FrameStream.withoutWeights(whole.result) == FrameStream.withoutWeights(small),
        "the whole-delivery parse disagrees: \(whole.result) vs \(small); input \(input.fuzzHex)"
    )
    let cached = FrameStream.parseWithWholeDeliveries(input, parser: smallParser, strings: sharedStrings)
    fuzzCheck(
        cached.left == whole.left && FrameStream.exactBytes(cached.result) == FrameStream.exactBytes(whole.result),
        "the parse with a string cache disagrees: \(cached.result) vs \(whole.result); input \(input.fuzzHex)"
    )
    // In chunks, strings also end near the end of what has arrived (where the cache is not used).
    let cachedChunks = FrameStream.parseIncrementally(input, parser: smallParser, chunkSize: chunkSize, strings: sharedStrings)
    fuzzCheck(
        FrameStream.exactBytes(cachedChunks) == FrameStream.exactBytes(small),
        "chunks with a string cache parse differently: \(cachedChunks) vs \(small); input \(input.fuzzHex)"
    )
    var plain = input
    try? smallParser.parseFrames(&plain) { _ in true }
    fuzzCheck(whole.left == plain.readableBytes, "the whole-delivery parse left \(whole.left) bytes, not \(plain.readableBytes); input \(input.fuzzHex)")

    let decoded = FrameStream.parseWithDecoder(input, maxFrameSize: smallParser.maxFrameSize)
    fuzzCheck(decoded == small, "AMQPFrameDecoder disagrees with the parser: \(decoded) vs \(small); input \(input.fuzzHex)")
}

FuzzDriver.main(seeds: Seeds.frameStreams, fuzzFrameParser)
