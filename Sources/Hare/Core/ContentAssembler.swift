import AMQPProtocol
import NIOCore

/// Collects a content-carrying method, its header frame and its body frames into one message.
/// A frame out of order, a header of another class or more body bytes than announced is a
/// protocol violation (reported as `Violation`; the caller closes the connection with 505).
struct ContentAssembler {
    struct Violation: Error, Equatable {
        var reason: String
    }

    private enum State {
        case idle
        case awaitingHeader(ContentMessage.Method)
        case awaitingBody(ContentMessage.Method, AMQP.BasicProperties, expected: Int, body: ByteBuffer?)
    }

    private var state = State.idle

    /// Whether a message is half received (a method frame other than content must not arrive).
    var isAssembling: Bool {
        if case .idle = state { return false }
        return true
    }

    mutating func start(_ method: ContentMessage.Method) -> Violation? {
        guard case .idle = state else {
            return Violation(reason: "a content method arrived before the previous message was complete")
        }
        state = .awaitingHeader(method)
        return nil
    }

    mutating func header(_ header: AMQPContentHeader) -> Result<ContentMessage?, Violation> {
        guard case .awaitingHeader(let method) = state else {
            return .failure(Violation(reason: "a content header arrived without a content method before it"))
        }
        guard header.classID == AMQP.Basic.classID else {
            return .failure(Violation(reason: "a content header of class \(header.classID) follows a basic method"))
        }
        // The frame parser already refused bodies over the limit, so this fits in an Int.
        let expected = Int(clamping: header.bodySize)
        if expected == 0 {
            state = .idle
            return .success(ContentMessage(method: method, properties: header.properties, body: ByteBuffer()))
        }
        state = .awaitingBody(method, header.properties, expected: expected, body: nil)
        return .success(nil)
    }

    mutating func body(_ bytes: ByteBuffer) -> Result<ContentMessage?, Violation> {
        guard case .awaitingBody(let method, let properties, let expected, var body) = state else {
            return .failure(Violation(reason: "a body frame arrived without a content header before it"))
        }
        let received = (body?.readableBytes ?? 0) + bytes.readableBytes
        guard received <= expected else {
            state = .idle
            return .failure(Violation(reason: "body frames carry \(received) bytes, more than the announced \(expected)"))
        }
        if body == nil {
            if received == expected {
                state = .idle
                return .success(ContentMessage(method: method, properties: properties, body: bytes))
            }
            var fresh = ByteBuffer()
            fresh.reserveCapacity(expected)
            body = fresh
        }
        state = .idle  // drop our reference before appending, so the buffer is not copied on write
        body!.writeImmutableBuffer(bytes)
        if received == expected {
            return .success(ContentMessage(method: method, properties: properties, body: body!))
        }
        state = .awaitingBody(method, properties, expected: expected, body: body)
        return .success(nil)
    }

    mutating func reset() {
        state = .idle
    }
}
