import AMQPProtocolFuzzable
import FuzzSupport
import NIOCore

// Method decode for any class and method id: AMQP.Method(from:) over a method frame's payload.
// Checked: a decoded method reports the ids it was read with, and its metadata is consistent.

func fuzzMethod(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = ByteBuffer(fuzzData: data, size: size)
    var buffer = input
    do {
        let method = try AMQP.Method(from: &buffer)
        let classID = input.getInteger(at: input.readerIndex, endianness: .big, as: UInt16.self)
        let methodID = input.getInteger(at: input.readerIndex + 2, endianness: .big, as: UInt16.self)
        fuzzCheck(method.classID == classID && method.methodID == methodID,
                  "\(method.name) reports ids \(method.classID)/\(method.methodID), read \(String(describing: classID))/\(String(describing: methodID))")
        let payloadType = type(of: method.payload)
        fuzzCheck(payloadType.classID == method.classID && payloadType.methodID == method.methodID && payloadType.name == method.name
                      && payloadType.isSynchronous == method.isSynchronous && payloadType.hasContent == method.hasContent,
                  "\(method.name): the enum's metadata and its payload type's disagree")
        for response in payloadType.responseTypes {
            fuzzCheck(response.classID == method.classID, "\(method.name) is answered by \(response.name) of another class")
        }
        _ = method.hashValue
        _ = String(describing: method)
    } catch {
        if case .unknownMethod(let classID, let methodID) = error.kind {
            fuzzCheck(input.getInteger(at: input.readerIndex, endianness: .big, as: UInt16.self) == classID
                          && input.getInteger(at: input.readerIndex + 2, endianness: .big, as: UInt16.self) == methodID,
                      "unknownMethod names ids \(classID)/\(methodID) that were not read; input \(input.fuzzHex)")
        }
        _ = error.description
    }
    return 0
}

FuzzDriver.main(seeds: Seeds.methods, fuzzMethod)
