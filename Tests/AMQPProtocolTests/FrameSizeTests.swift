import AMQPProtocol
import Testing

/// Every frame the parser hands out is copied on the way (into the closure, into the channel's
/// router), so its size matters on the hot paths; the generator boxes the rare methods with a
/// field table to keep `AMQP.Method` small.
@Suite("Frame size")
struct FrameSizeTests {
    @Test("AMQP.Method is no larger than its largest inline method, basic.deliver, and a tag")
    func methodSize() {
        #expect(MemoryLayout<AMQP.Method>.size <= MemoryLayout<AMQP.Basic.Deliver>.size + 1)
        #expect(MemoryLayout<AMQP.Method>.size < MemoryLayout<AMQP.Connection.Start>.size)
        #expect(MemoryLayout<AMQPFrame>.size < MemoryLayout<AMQP.Connection.Start>.size)
    }
}
