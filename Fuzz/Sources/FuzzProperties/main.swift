import AMQPProtocolFuzzable
import FuzzSupport
import NIOCore

// Properties decode: AMQP.BasicProperties(from:) over a content header's property flags and
// list. Checked: the continuation bit is an error; the properties set are those the flag word
// announces; decoded properties re-encode to the bytes they came from, and as Swift values to
// bytes that decode equal, encode after encode (the kept encoding) and after a change.

func fuzzProperties(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = ByteBuffer(fuzzData: data, size: size)
    var buffer = input
    let flags = input.getInteger(at: input.readerIndex, endianness: .big, as: UInt16.self)
    do {
        let properties = try AMQP.BasicProperties(from: &buffer)
        guard let flags else { fatalError("properties decoded from \(size) bytes") }
        fuzzCheck(flags & 1 == 0, "continuation bit accepted; input \(input.fuzzHex)")
        let present: [Bool] = [
            properties.contentType != nil, properties.contentEncoding != nil, properties.headers != nil,
            properties.deliveryMode != nil, properties.priority != nil, properties.correlationId != nil,
            properties.replyTo != nil, properties.expiration != nil, properties.messageId != nil,
            properties.timestamp != nil, properties.type != nil, properties.userId != nil,
            properties.appId != nil, properties.reserved != nil,
        ]
        for (index, isSet) in present.enumerated() {
            let announced = flags & (0x8000 >> UInt16(index)) != 0
            fuzzCheck(isSet == announced, "property \(index) set: \(isSet), flag: \(announced); input \(input.fuzzHex)")
        }
        checkReencoding(properties, read: input.getSlice(at: input.readerIndex, length: input.readableBytes - buffer.readableBytes)!, flags: flags, input: input)
        _ = String(describing: properties)
    } catch {
        if let flags, flags & 1 != 0 {
            fuzzCheck(error.kind == .propertyFlagsContinuation, "continuation bit gave \(error); input \(input.fuzzHex)")
        }
        _ = error.description
    }
    return 0
}

/// Decoded properties keep their bytes: they encode back to exactly what was read, and the
/// same properties turned into Swift values (by a change that changes nothing) are equal, hash
/// alike and encode to bytes that decode equal again, as often as they are encoded, and with a
/// change made after that. Any error here is a failure.
func checkReencoding(_ properties: AMQP.BasicProperties, read: ByteBuffer, flags: UInt16, input: ByteBuffer) {
    do {
        var reencoded = ByteBuffer()
        try properties.encode(into: &reencoded)
        // (A flag word with only the undefined bit 1 set announces nothing and encodes as 0.)
        let announcesSome = flags & 0xFFFC != 0
        fuzzCheck(
            reencoded == read || (!announcesSome && reencoded == ByteBuffer(bytes: [0, 0])),
            "re-encoded \(reencoded.fuzzHex); input \(input.fuzzHex)"
        )
        var values = properties
        values.priority = properties.priority
        fuzzCheck(values == properties && values.hashValue == properties.hashValue, "as values: \(values); input \(input.fuzzHex)")
        var fromValues = ByteBuffer()
        try values.encode(into: &fromValues)
        let encodedValues = fromValues
        let again = try AMQP.BasicProperties(from: &fromValues)
        fuzzCheck(again == properties && fromValues.readableBytes == 0, "values re-encoded as \(again); input \(input.fuzzHex)")
        // Encoded again (the third time from the encoding the values keep), the same bytes;
        // changed after that, the change and everything else.
        for _ in 0..<2 {
            var repeated = ByteBuffer()
            try values.encode(into: &repeated)
            fuzzCheck(repeated == encodedValues, "encoded again as \(repeated.fuzzHex), first \(encodedValues.fuzzHex)")
        }
        values.priority = (properties.priority ?? 0) &+ 1
        var changed = ByteBuffer()
        try values.encode(into: &changed)
        var expected = properties
        expected.priority = values.priority
        let decodedChange = try AMQP.BasicProperties(from: &changed)
        fuzzCheck(decodedChange == expected, "changed after encoding: \(decodedChange); input \(input.fuzzHex)")
    } catch {
        fuzzCheck(false, "decoded properties failed to re-encode or decode again: \(error); input \(input.fuzzHex)")
    }
}

FuzzDriver.main(seeds: Seeds.properties, fuzzProperties)
