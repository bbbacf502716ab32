import AMQPProtocolFuzzable
import FuzzSupport
import NIOCore

// Field table decode: readAMQPFieldTable (and readAMQPFieldArray) over arbitrary bytes, and over
// the bytes as the content of a table with the right size.
// Checked: a decoded table or array consumes exactly its 4-byte size and that many bytes;
// printing and hashing the values works.

func fuzzFieldTable(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = ByteBuffer(fuzzData: data, size: size)
    check(input)
    // The input as a table's (and array's) content, behind its exact 32-bit size.
    var sized = ByteBuffer()
    sized.writeInteger(UInt32(size), endianness: .big)
    sized.writeImmutableBuffer(input)
    check(sized)
    return 0
}

func check(_ input: ByteBuffer) {
    let declared = input.getInteger(at: input.readerIndex, endianness: .big, as: UInt32.self).map { Int($0) + 4 }

    var buffer = input
    do {
        let table = try buffer.readAMQPFieldTable()
        fuzzCheck(buffer.readerIndex - input.readerIndex == declared, "table consumed \(buffer.readerIndex - input.readerIndex) bytes; input \(input.fuzzHex)")
        for (key, value) in table {
            fuzzCheck(table[key] != nil, "key \(key) not found")
            _ = value.typeTag
        }
        _ = table.hashValue
        _ = table.description
    } catch {
        _ = error.description
    }

    buffer = input
    do {
        let array = try buffer.readAMQPFieldArray()
        fuzzCheck(buffer.readerIndex - input.readerIndex == declared, "array consumed \(buffer.readerIndex - input.readerIndex) bytes; input \(input.fuzzHex)")
        _ = array.hashValue
        _ = String(describing: array)
    } catch {
        _ = error.description
    }
}

FuzzDriver.main(seeds: Seeds.tables + Seeds.arrays, fuzzFieldTable)
