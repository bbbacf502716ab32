import AMQPProtocol
import NIOCore
import Testing

/// The reader's public moves throw instead of leaving its window, whatever count they get.
@Suite("Reader bounds")
struct ReaderBoundsTests {
    func attempt(_ move: (inout AMQPReader) throws(AMQPProtocolError) -> Void) -> AMQPProtocolError? {
        var buffer = ByteBuffer(bytes: [1, 2, 3, 4])
        do {
            try buffer.readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) in
                _ = try reader.readOctet()
                try move(&reader)
            }
            return nil
        } catch {
            return error
        }
    }

    @Test("a negative skip or window is refused, not a move backwards")
    func negativeCounts() {
        for count in [-1, -2, Int.min] {
            #expect(attempt { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.skip(count) } != nil)
            #expect(attempt { (reader: inout AMQPReader) throws(AMQPProtocolError) in _ = try reader.enterWindow(length: count) } != nil)
            #expect(attempt { (reader: inout AMQPReader) throws(AMQPProtocolError) in _ = try reader.readSlice(length: count) } != nil)
        }
    }

    @Test("counts up to what is left pass; one more fails")
    func counts() {
        #expect(attempt { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.skip(3) } == nil)
        #expect(attempt { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.skip(0) } == nil)
        #expect(attempt { (reader: inout AMQPReader) throws(AMQPProtocolError) in try reader.skip(4) }
            == AMQPProtocolError(.truncated(needed: 4, available: 3)))
    }
}
