import AMQPProtocolFuzzable
import FuzzSupport
import NIOCore

// Properties decode: AMQP.BasicProperties(from:) over a content header's property flags and
// list. Checked: the continuation bit is an error; the properties set are those the flag word
// announces.

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
        _ = properties.hashValue
        _ = String(describing: properties)
    } catch {
        if let flags, flags & 1 != 0 {
            fuzzCheck(error.kind == .propertyFlagsContinuation, "continuation bit gave \(error); input \(input.fuzzHex)")
        }
        _ = error.description
    }
    return 0
}

FuzzDriver.main(seeds: Seeds.properties, fuzzProperties)
