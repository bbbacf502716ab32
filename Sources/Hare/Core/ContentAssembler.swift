import AMQPProtocol
import NIOCore

/// Collects a content-carrying method, its header frame and its body frames into one message.
/// A frame out of order, a header of another class or more body bytes than announced is a
/// protocol violation (reported as `Violation`; the caller closes the connection with 505).
struct ContentAssembler {
    struct Violation: Error, Equatable {
        var reason: String
    }

    /// Where the message being assembled is. Its parts are kept in their own fields rather
    /// than as payloads of the phase: each frame then updates one field in place, and the last
    /// one moves the parts out, instead of copying every part out of the enum and back.
    private enum Phase {
        case idle
        case awaitingHeader
        case awaitingBody
    }

    private var phase = Phase.idle
    /// The method that announced the message (set while not idle).
    private var method: ContentMessage.Method?
    /// The message's properties (set while awaiting the body).
    private var properties: AMQP.BasicProperties?
    /// The body size the header announced.
    private var expected = 0
    /// The body so far, once it spans more than one frame.
    private var body: ByteBuffer?

    /// Whether a message is half received (a method frame other than content must not arrive).
    var isAssembling: Bool { phase != .idle }

    mutating func start(_ method: consuming ContentMessage.Method) -> Violation? {
        guard phase == .idle else {
            return Violation(reason: "a content method arrived before the previous message was complete")
        }
        self.method = method
        phase = .awaitingHeader
        return nil
    }

    mutating func header(_ header: consuming AMQPContentHeader) throws(Violation) -> ContentMessage? {
        guard phase == .awaitingHeader else {
            throw Violation(reason: "a content header arrived without a content method before it")
        }
        guard header.classID == AMQP.Basic.classID else {
            throw Violation(reason: "a content header of class \(header.classID) follows a basic method")
        }
        // The frame parser already refused bodies over the limit, so this fits in an Int.
        expected = Int(clamping: header.bodySize)
        if expected == 0 {
            return finish(properties: header.properties, body: ByteBuffer())
        }
        properties = header.properties
        phase = .awaitingBody
        return nil
    }

    mutating func body(_ bytes: consuming ByteBuffer) throws(Violation) -> ContentMessage? {
        guard phase == .awaitingBody else {
            throw Violation(reason: "a body frame arrived without a content header before it")
        }
        guard var collected = body.take() else {
            // The first body frame; usually the whole body, handed on as it came.
            if bytes.readableBytes == expected {
                return finish(properties: properties.take()!, body: bytes)
            }
            guard bytes.readableBytes < expected else { throw overrun(bytes.readableBytes) }
            var fresh = ByteBuffer()
            fresh.reserveCapacity(expected)
            fresh.writeImmutableBuffer(bytes)
            body = fresh
            return nil
        }
        let received = collected.readableBytes + bytes.readableBytes
        guard received <= expected else { throw overrun(received) }
        collected.writeImmutableBuffer(bytes)  // taken out above: one owner, so no copy on write
        if received == expected {
            return finish(properties: properties.take()!, body: collected)
        }
        body = collected
        return nil
    }

    /// The message assembled from the parts held and these; the assembler is idle again.
    private mutating func finish(properties: AMQP.BasicProperties, body: ByteBuffer) -> ContentMessage {
        phase = .idle
        return ContentMessage(method: method.take()!, properties: properties, body: body)
    }

    private mutating func overrun(_ received: Int) -> Violation {
        reset()
        return Violation(reason: "body frames carry \(received) bytes, more than the announced \(expected)")
    }

    mutating func reset() {
        phase = .idle
        method = nil
        properties = nil
        body = nil
    }
}
