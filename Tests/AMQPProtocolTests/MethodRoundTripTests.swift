import AMQPProtocol
import NIOCore
import Testing

/// Every generated method, with random field values, survives encode then decode.
@Suite("Method round trips")
struct MethodRoundTripTests {
    /// How many random instances of each method are tried.
    static let rounds = 128

    @Test("AMQP.Method.encode then AMQP.Method(from:) gives the same value and consumes all bytes")
    func everyMethodRoundTrips() {
        var generator = TestSeed.generator(for: #function)
        var counts: [String: Int] = [:]
        for round in 0..<Self.rounds {
            for method in AMQP.Method.arbitraryInstances(using: &generator) {
                counts[method.name, default: 0] += 1
                do {
                    var buffer = ByteBuffer()
                    try method.encode(into: &buffer)
                    let encoded = buffer
                    #expect(encoded.getInteger(at: encoded.readerIndex, as: UInt16.self) == method.classID)
                    #expect(encoded.getInteger(at: encoded.readerIndex + 2, as: UInt16.self) == method.methodID)
                    let decoded = try AMQP.Method(from: &buffer)
                    #expect(decoded == method, "\(method.name), round \(round), \(TestSeed.replay)")
                    #expect(buffer.readableBytes == 0, "\(method.name) left \(buffer.readableBytes) bytes, \(TestSeed.replay)")
                    // Byte-stable: re-encoding the decoded value gives the same bytes.
                    var again = ByteBuffer()
                    try decoded.encode(into: &again)
                    #expect(again == encoded, "\(method.name) re-encodes differently, \(TestSeed.replay)")
                } catch {
                    Issue.record("\(method.name), round \(round): \(error), \(TestSeed.replay)")
                }
            }
        }
        #expect(counts.count == 64, "the spec has 64 methods")
        #expect(counts.values.allSatisfy { $0 >= 100 })
    }

    @Test("each method struct's own codec round-trips and matches AMQP.Method after the ids")
    func structCodecsRoundTrip() {
        var generator = TestSeed.generator(for: #function)
        for round in 0..<Self.rounds {
            for method in AMQP.Method.arbitraryInstances(using: &generator) {
                do {
                    let (equal, leftover, argumentBytes) = try structRoundTrip(method.payload)
                    #expect(equal, "\(method.name), round \(round), \(TestSeed.replay)")
                    #expect(leftover == 0, "\(method.name), \(TestSeed.replay)")
                    var full = ByteBuffer()
                    try method.encode(into: &full)
                    #expect(full.getSlice(at: full.readerIndex + 4, length: full.readableBytes - 4) == argumentBytes)
                } catch {
                    Issue.record("\(method.name), round \(round): \(error), \(TestSeed.replay)")
                }
            }
        }
    }

    @Test("method frames round-trip through writeAMQPFrame and AMQPFrameParser")
    func methodFramesRoundTrip() {
        var generator = TestSeed.generator(for: #function)
        for round in 0..<Self.rounds {
            var stream = ByteBuffer()
            var sent: [AMQPFrame] = []
            for method in AMQP.Method.arbitraryInstances(using: &generator) {
                let channel = UInt16.random(in: 0 ... .max, using: &generator)
                let frame = AMQPFrame.method(channel: channel, method)
                do {
                    var one = ByteBuffer()
                    try one.writeAMQPFrame(frame)
                    // Frame layout: type 1, channel, payload size, payload, 0xCE.
                    #expect(one.getInteger(at: 0, as: UInt8.self) == 1)
                    #expect(one.getInteger(at: 1, as: UInt16.self) == channel)
                    #expect(one.getInteger(at: 3, as: UInt32.self).map(Int.init) == one.readableBytes - 8)
                    #expect(one.getInteger(at: one.readableBytes - 1, as: UInt8.self) == 0xCE)
                    // The generic writer produces the same bytes.
                    #expect(try genericMethodFrame(channel: channel, method.payload) == one, "\(method.name)")
                    #expect(try roomyParser.parse(&one) == frame, "\(method.name), round \(round), \(TestSeed.replay)")
                    #expect(one.readableBytes == 0)
                    try stream.writeAMQPFrame(frame)
                    sent.append(frame)
                } catch {
                    Issue.record("\(method.name), round \(round): \(error), \(TestSeed.replay)")
                }
            }
            // The whole round as one stream.
            do {
                let received = try parseAll(&stream)
                #expect(received == sent, "round \(round), \(TestSeed.replay)")
                #expect(stream.readableBytes == 0)
            } catch {
                Issue.record("round \(round): \(error), \(TestSeed.replay)")
            }
        }
    }
}
