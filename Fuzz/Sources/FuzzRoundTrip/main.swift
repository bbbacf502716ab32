import AMQPProtocolFuzzable
import FuzzSupport
import NIOCore

// Decode -> encode -> decode consistency (see RoundTrip): the first byte picks the codec
// (method, properties, field table, field array, content, frame stream), the rest is its input.

func fuzzRoundTrip(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    RoundTrip.run(ByteBuffer(fuzzData: data, size: size))
    return 0
}

FuzzDriver.main(seeds: Seeds.roundTrip, fuzzRoundTrip)
