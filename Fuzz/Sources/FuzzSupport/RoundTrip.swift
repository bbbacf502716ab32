import AMQPProtocolFuzzable
import NIOCore

/// Decode -> encode -> decode consistency: whatever decodes must re-encode (without throwing) to
/// bytes that decode to an equal value, consuming them exactly; encoding that value again gives
/// the same bytes. Any mismatch stops the process so libFuzzer reports the input.
public enum RoundTrip {
    /// Which codec an input of the round-trip fuzzer exercises: its first byte, modulo the count.
    public enum Mode: UInt8, CaseIterable, Sendable {
        case method = 0, properties, table, array, content, frames
    }

    /// Runs the round trip that the first byte of `input` selects on the rest.
    public static func run(_ input: ByteBuffer) {
        var payload = input
        guard let selector = payload.readInteger(as: UInt8.self) else { return }
        switch Mode(rawValue: selector % UInt8(Mode.allCases.count))! {
        case .method: method(payload)
        case .properties: properties(payload)
        case .table: table(payload)
        case .array: array(payload)
        case .content: content(payload)
        case .frames: frames(payload)
        }
    }

    /// A method with its class and method ids (a method frame's payload).
    public static func method(_ input: ByteBuffer) {
        var buffer = input
        guard let method = try? AMQP.Method(from: &buffer) else { return }
        check(method, input: input, encode: { (value, out) throws(AMQPProtocolError) in try value.encode(into: &out) },
              decode: { (bytes) throws(AMQPProtocolError) in try AMQP.Method(from: &bytes) })

        // Both ways of writing a method frame give the same bytes.
        var viaEnum = ByteBuffer()
        var viaStruct = ByteBuffer()
        do {
            try viaEnum.writeAMQPFrame(.method(channel: 7, method))
            try writeStructFrame(method.payload, into: &viaStruct)
        } catch {
            fatalError("a decoded \(method.name) does not encode as a frame: \(error); input \(input.fuzzHex)")
        }
        fuzzCheck(viaEnum == viaStruct, "writeAMQPFrame and writeAMQPMethodFrame differ for \(method); input \(input.fuzzHex)")
    }

    private static func writeStructFrame(_ method: some AMQPMethodProtocol, into buffer: inout ByteBuffer) throws(AMQPProtocolError) {
        try buffer.writeAMQPMethodFrame(channel: 7, method: method)
    }

    /// Basic content properties (flag word and properties).
    public static func properties(_ input: ByteBuffer) {
        var buffer = input
        guard let properties = try? AMQP.BasicProperties(from: &buffer) else { return }
        check(properties, input: input, encode: { (value, out) throws(AMQPProtocolError) in try value.encode(into: &out) },
              decode: { (bytes) throws(AMQPProtocolError) in try AMQP.BasicProperties(from: &bytes) })
    }

    /// A field table.
    public static func table(_ input: ByteBuffer) {
        var buffer = input
        guard let table = try? buffer.readAMQPFieldTable() else { return }
        check(table, input: input, encode: { (value, out) throws(AMQPProtocolError) in try out.writeAMQPFieldTable(value) },
              decode: { (bytes) throws(AMQPProtocolError) in try bytes.readAMQPFieldTable() })
    }

    /// A field array.
    public static func array(_ input: ByteBuffer) {
        var buffer = input
        guard let array = try? buffer.readAMQPFieldArray() else { return }
        check(array, input: input, encode: { (value, out) throws(AMQPProtocolError) in try out.writeAMQPFieldArray(value) },
              decode: { (bytes) throws(AMQPProtocolError) in try bytes.readAMQPFieldArray() })
    }

    /// A message: one byte choosing frame_max (0 = none, else 8 + byte), properties, and the rest
    /// as the body. `writeAMQPContent` must give a header frame and body frames of at most
    /// frame_max bytes that parse back to the same properties and body.
    public static func content(_ input: ByteBuffer) {
        var buffer = input
        guard let limit = buffer.readInteger(as: UInt8.self),
              let properties = try? AMQP.BasicProperties(from: &buffer)
        else { return }
        let frameMax = limit == 0 ? 0 : AMQPLimits.frameOverhead + Int(limit)
        let body = buffer
        let channel: UInt16 = 3
        var out = ByteBuffer()
        do {
            try out.writeAMQPContent(channel: channel, properties: properties, body: body, frameMax: frameMax)
        } catch {
            fatalError("decoded properties do not encode as content: \(error); input \(input.fuzzHex)")
        }
        let parsed = FrameStream.parseAll(out, parser: AMQPFrameParser(maxFrameSize: AMQPLimits.largestPossibleFrame))
        fuzzCheck(parsed.end == .needMore, "content does not parse back: \(parsed.end); input \(input.fuzzHex)")
        guard case .header(channel, let header)? = parsed.frames.first else {
            fatalError("content does not start with its header frame: \(parsed.frames); input \(input.fuzzHex)")
        }
        fuzzCheck(header == AMQPContentHeader(bodySize: UInt64(body.readableBytes), properties: properties),
                  "content header \(header) for properties \(properties) and \(body.readableBytes) body bytes; input \(input.fuzzHex)")
        var reassembled = ByteBuffer()
        for frame in parsed.frames.dropFirst() {
            guard case .body(channel, var piece) = frame else {
                fatalError("content frame \(frame) is not a body frame; input \(input.fuzzHex)")
            }
            fuzzCheck(piece.readableBytes > 0, "empty body frame; input \(input.fuzzHex)")
            fuzzCheck(frameMax == 0 || piece.readableBytes + AMQPLimits.frameOverhead <= frameMax,
                      "body frame of \(piece.readableBytes) bytes over frame_max \(frameMax); input \(input.fuzzHex)")
            reassembled.writeBuffer(&piece)
        }
        fuzzCheck(reassembled == body, "body frames do not reassemble the body; input \(input.fuzzHex)")
        if frameMax == 0 {
            fuzzCheck(parsed.frames.count == (body.readableBytes == 0 ? 1 : 2), "frame_max 0 must send the body in one frame; input \(input.fuzzHex)")
        }
    }

    /// A stream of frames, as it comes and laid out as well-formed frames (`FrameStream.framed`):
    /// every frame the parser returns re-encodes to bytes that parse back to the same frame, exactly.
    public static func frames(_ input: ByteBuffer) {
        frameStream(input)
        frameStream(FrameStream.framed(input))
    }

    private static func frameStream(_ input: ByteBuffer) {
        let parser = AMQPFrameParser(maxFrameSize: AMQPLimits.largestPossibleFrame)
        for frame in FrameStream.parseAll(input, parser: parser).frames {
            check(frame, input: input, encode: { (value, out) throws(AMQPProtocolError) in try out.writeAMQPFrame(value) },
                  decode: { (bytes) throws(AMQPProtocolError) in
                      guard let frame = try parser.parse(&bytes) else {
                          fatalError("a re-encoded frame is incomplete: \(bytes.fuzzHex); input \(input.fuzzHex)")
                      }
                      return frame
                  })
        }
    }

    /// The round trip itself for one decoded value (equal values must also hash alike).
    private static func check<Value: Hashable>(
        _ value: Value,
        input: ByteBuffer,
        encode: (Value, inout ByteBuffer) throws(AMQPProtocolError) -> Void,
        decode: (inout ByteBuffer) throws(AMQPProtocolError) -> Value
    ) {
        var encoded = ByteBuffer()
        do {
            try encode(value, &encoded)
        } catch {
            fatalError("decoded \(Value.self) does not re-encode: \(error); value \(value); input \(input.fuzzHex)")
        }
        var reading = encoded
        let decoded: Value
        do {
            decoded = try decode(&reading)
        } catch {
            fatalError("re-encoded \(Value.self) does not decode: \(error); bytes \(encoded.fuzzHex); input \(input.fuzzHex)")
        }
        fuzzCheck(decoded == value, "\(Value.self) changed in a round trip: \(value) -> \(decoded); input \(input.fuzzHex)")
        fuzzCheck(decoded.hashValue == value.hashValue, "equal \(Value.self) values hash differently: \(value); input \(input.fuzzHex)")
        fuzzCheck(reading.readableBytes == 0, "\(reading.readableBytes) re-encoded \(Value.self) bytes left unread; bytes \(encoded.fuzzHex); input \(input.fuzzHex)")
        var again = ByteBuffer()
        do {
            try encode(decoded, &again)
        } catch {
            fatalError("re-decoded \(Value.self) does not encode: \(error); input \(input.fuzzHex)")
        }
        fuzzCheck(again == encoded, "\(Value.self) encodes differently after a round trip; input \(input.fuzzHex)")
    }
}
