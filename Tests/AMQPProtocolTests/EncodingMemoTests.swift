@testable import AMQPProtocol
import Dispatch
import NIOCore
import Testing

/// Properties built in Swift keep their encoding from their second encode on
/// (`AMQPEncodingMemo`): these check that what goes on the wire is always what the values say,
/// whatever was encoded before, changed since, or encoded on other threads at the same time.
@Suite("Properties encoded again and again")
struct EncodingMemoTests {
    /// The content header frame of `properties`, as the client writes it.
    static func header(_ properties: AMQP.BasicProperties) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try buffer.writeAMQPFrame(.header(channel: 1, AMQPContentHeader(bodySize: 3, properties: properties)))
        return buffer
    }

    static func sample() -> AMQP.BasicProperties {
        AMQP.BasicProperties(
            contentType: "application/json",
            headers: ["x-trace": .string("a1b2c3d4"), "x-count": .int32(7)],
            deliveryMode: 2,
            correlationId: "request-42"
        )
    }

    @Test("the memo keeps nothing after one encode, the bytes after two, and nothing once forgotten")
    func memoKeepsFromTheSecondEncode() {
        let memo = AMQPEncodingMemo()
        let bytes: [UInt8] = [0x80, 0x00, 5, 104, 101, 108, 108, 111]
        var written = [UInt8](repeating: 0, count: bytes.count)
        bytes.withUnsafeBytes { memo.encoded($0) }
        #expect(memo.size == nil)
        let wroteFirst = written.withUnsafeMutableBytes { target in
            var writer = AMQPWriter(base: target.baseAddress!)
            return memo.write(to: &writer)
        }
        #expect(!wroteFirst)
        bytes.withUnsafeBytes { memo.encoded($0) }
        #expect(memo.size == bytes.count)
        let (wrote, offset) = written.withUnsafeMutableBytes { target in
            var writer = AMQPWriter(base: target.baseAddress!)
            return (memo.write(to: &writer), writer.offset)
        }
        #expect(wrote && offset == bytes.count && written == bytes)
        memo.forget()
        #expect(memo.size == nil)
        bytes.withUnsafeBytes { memo.encoded($0) }
        #expect(memo.size == nil, "after forget, one encode keeps nothing again")
    }

    @Test("encoding the same properties again and again gives the same bytes")
    func repeatedEncodes() throws {
        let properties = Self.sample()
        let expected = try Self.header(Self.sample())
        for _ in 0..<4 {
            #expect(try Self.header(properties) == expected)
        }
        #expect(try properties.encodedSize() == Self.sample().encodedSize())
    }

    @Test("a property changed after the encoding was kept is on the wire", arguments: 0..<4)
    func changeAfterKeeping(change: Int) throws {
        var properties = Self.sample()
        var expected = Self.sample()
        for _ in 0..<3 { _ = try Self.header(properties) }
        switch change {
        case 0:
            properties.contentType = "text/plain"
            expected.contentType = "text/plain"
        case 1:
            properties.headers?["x-trace"] = .string("changed in place")
            expected.headers?["x-trace"] = .string("changed in place")
        case 2:
            properties.deliveryMode = nil
            expected.deliveryMode = nil
        default:
            properties.priority? += 1  // nil: no change, but a mutable access all the same
            properties.messageId = "m-1"
            expected.messageId = "m-1"
        }
        #expect(try Self.header(properties) == Self.header(expected))
        #expect(try properties.encodedSize() == expected.encodedSize())
        #expect(try Self.header(properties) == Self.header(expected), "and again, once kept anew")
        #expect(try Self.header(properties) == Self.header(expected))
    }

    @Test("a copy changed after the shared encoding was kept leaves the original's bytes")
    func sharedEncodingSurvivesACopysChange() throws {
        let original = Self.sample()
        for _ in 0..<3 { _ = try Self.header(original) }
        var copy = original
        copy.replyTo = "amq.rabbitmq.reply-to"
        var expected = Self.sample()
        expected.replyTo = "amq.rabbitmq.reply-to"
        #expect(try Self.header(copy) == Self.header(expected))
        #expect(try Self.header(original) == Self.header(Self.sample()))
    }

    @Test("threads encoding one shared value at once all write its bytes")
    func concurrentEncodes() throws {
        let properties = Self.sample()
        let expected = try Self.header(Self.sample())
        let mismatches = Mismatches()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<500 {
                if (try? Self.header(properties)) != expected { mismatches.add() }
            }
        }
        #expect(mismatches.count == 0)
    }

    @Test("copies changed on some threads while others encode the shared value leave its bytes alone")
    func changesBesideEncodes() throws {
        let properties = Self.sample()
        let expected = try Self.header(Self.sample())
        var changedSample = Self.sample()
        changedSample.messageId = "changed"
        let expectedChanged = try Self.header(changedSample)
        let mismatches = Mismatches()
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for _ in 0..<300 {
                if thread % 2 == 0 {
                    if (try? Self.header(properties)) != expected { mismatches.add() }
                } else {
                    var copy = properties
                    copy.messageId = "changed"
                    if (try? Self.header(copy)) != expectedChanged { mismatches.add() }
                }
            }
        }
        #expect(mismatches.count == 0)
    }
}

/// A counter the threads of `concurrentEncodes` share.
private final class Mismatches: @unchecked Sendable {
    private let lock = DispatchQueue(label: "mismatches")
    private var value = 0
    func add() { lock.sync { value += 1 } }
    var count: Int { lock.sync { value } }
}
