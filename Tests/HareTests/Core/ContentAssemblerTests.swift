import AMQPProtocol
import NIOCore
import Testing

@testable import Hare

@Suite("Content assembler")
struct ContentAssemblerTests {
    typealias F = MachineFixtures

    static let deliver = ContentMessage.Method.deliver(AMQP.Basic.Deliver(consumerTag: "c", deliveryTag: 1))

    /// The violation `step` throws; nil when it does not throw.
    static func violation(_ step: () throws -> ContentMessage?) -> ContentAssembler.Violation? {
        do {
            _ = try step()
            return nil
        } catch {
            return error as? ContentAssembler.Violation
        }
    }

    @Test("a zero-size body completes at the header")
    func zeroBody() throws {
        var assembler = ContentAssembler()
        #expect(!assembler.isAssembling)
        #expect(assembler.start(Self.deliver) == nil)
        #expect(assembler.isAssembling)
        let message = try #require(try assembler.header(F.header(0)))
        #expect(message.body.readableBytes == 0)
        #expect(message.properties.contentType == "text/plain")
        #expect(message.deliver?.consumerTag == "c")
        #expect(!assembler.isAssembling)
    }

    @Test("a single body frame is passed on as it is, without a copy")
    func singleFrameSlice() throws {
        var assembler = ContentAssembler()
        _ = assembler.start(Self.deliver)
        #expect(try assembler.header(F.header(5)) == nil)
        var frame = ByteBuffer(string: "xxhelloyy")
        frame.moveReaderIndex(forwardBy: 2)
        let read = frame.readSlice(length: 5)
        let slice = try #require(read)
        let message = try #require(try assembler.body(slice))
        #expect(message.bodyString == "hello")
        let sameStorage = message.body.withUnsafeReadableBytes { body in
            slice.withUnsafeReadableBytes { input in body.baseAddress == input.baseAddress }
        }
        #expect(sameStorage)
        #expect(!assembler.isAssembling)
    }

    @Test("several body frames are joined in order")
    func multiFrame() throws {
        var assembler = ContentAssembler()
        _ = assembler.start(.returned(AMQP.Basic.Return(replyCode: 312, replyText: "NO_ROUTE", exchange: "", routingKey: "k")))
        _ = try assembler.header(F.header(10))
        #expect(try assembler.body(F.bytes("abc")) == nil)
        #expect(assembler.isAssembling)
        #expect(try assembler.body(ByteBuffer()) == nil, "an empty body frame changes nothing")
        #expect(try assembler.body(F.bytes("defg")) == nil)
        let message = try #require(try assembler.body(F.bytes("hij")))
        #expect(message.bodyString == "abcdefghij")
        #expect(message.returnMethod?.replyCode == 312)
        #expect(!assembler.isAssembling)
    }

    @Test("a large body in many frames arrives whole")
    func manyFrames() throws {
        var assembler = ContentAssembler()
        _ = assembler.start(Self.deliver)
        let total = 5 * 1024 * 1024
        let frameSize = 4088
        _ = try assembler.header(F.header(UInt64(total)))
        var sent = 0
        var result: ContentMessage?
        while sent < total {
            let size = Swift.min(frameSize, total - sent)
            let chunk = ByteBuffer(repeating: UInt8(truncatingIfNeeded: sent / frameSize), count: size)
            result = try assembler.body(chunk)
            sent += size
            if sent < total { #expect(result == nil) }
        }
        let message = try #require(result)
        #expect(message.body.readableBytes == total)
        #expect(message.body.getInteger(at: message.body.readerIndex + frameSize, as: UInt8.self) == 1)
    }

    @Test("more body bytes than announced are a violation")
    func overflow() throws {
        var assembler = ContentAssembler()
        _ = assembler.start(Self.deliver)
        _ = try assembler.header(F.header(4))
        _ = try assembler.body(F.bytes("ab"))
        guard let violation = Self.violation({ try assembler.body(F.bytes("cde")) }) else {
            Issue.record("an overflowing body was accepted")
            return
        }
        #expect(violation.reason.contains("5"))
        #expect(violation.reason.contains("4"))
        #expect(!assembler.isAssembling)
    }

    @Test("a single body frame larger than announced is a violation")
    func overflowFirstFrame() {
        var assembler = ContentAssembler()
        _ = assembler.start(Self.deliver)
        _ = try? assembler.header(F.header(1))
        guard Self.violation({ try assembler.body(F.bytes("ab")) }) != nil else {
            Issue.record("an overflowing body was accepted")
            return
        }
    }

    @Test("a header without a method before it is a violation")
    func headerWithoutMethod() {
        var assembler = ContentAssembler()
        guard let violation = Self.violation({ try assembler.header(F.header(1)) }) else {
            Issue.record("a header without a method was accepted")
            return
        }
        #expect(violation.reason.contains("header"))
    }

    @Test("a second header is a violation")
    func secondHeader() {
        var assembler = ContentAssembler()
        _ = assembler.start(Self.deliver)
        _ = try? assembler.header(F.header(3))
        guard Self.violation({ try assembler.header(F.header(3)) }) != nil else {
            Issue.record("a second header was accepted")
            return
        }
    }

    @Test("a body without a header is a violation", arguments: [false, true])
    func bodyWithoutHeader(started: Bool) {
        var assembler = ContentAssembler()
        if started { _ = assembler.start(Self.deliver) }
        guard let violation = Self.violation({ try assembler.body(F.bytes("x")) }) else {
            Issue.record("a body without a header was accepted")
            return
        }
        #expect(violation.reason.contains("body"))
    }

    @Test("a header of another class is a violation")
    func wrongClass() {
        var assembler = ContentAssembler()
        _ = assembler.start(Self.deliver)
        let header = AMQPContentHeader(classID: 50, bodySize: 0, properties: AMQP.BasicProperties())
        guard let violation = Self.violation({ try assembler.header(header) }) else {
            Issue.record("a header of class 50 was accepted")
            return
        }
        #expect(violation.reason.contains("50"))
    }

    @Test("a content method before the previous message is complete is a violation")
    func startTwice() {
        var assembler = ContentAssembler()
        #expect(assembler.start(Self.deliver) == nil)
        #expect(assembler.start(Self.deliver) != nil)
    }

    @Test("reset drops a half-received message")
    func reset() throws {
        var assembler = ContentAssembler()
        _ = assembler.start(Self.deliver)
        _ = try assembler.header(F.header(10))
        _ = try assembler.body(F.bytes("abc"))
        assembler.reset()
        #expect(!assembler.isAssembling)
        #expect(assembler.start(Self.deliver) == nil)
        _ = try assembler.header(F.header(2))
        #expect(try #require(try assembler.body(F.bytes("ok"))).bodyString == "ok")
    }
}
