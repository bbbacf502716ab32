import AMQPProtocol
import NIOCore
import Testing

@testable import Hare

/// The confirm-mode bookkeeping of a `BlockingChannel`: acks, nacks, returns matched to their
/// publish, and publishes whose wait timed out.
@Suite("Blocking: pending confirms")
struct BlockingPendingConfirmsTests {
    static func mandatory(_ routingKey: String, _ body: String, exchange: String = "amq.direct") -> BlockingPendingConfirms.Mandatory {
        .init(exchange: exchange, routingKey: routingKey, body: ByteBuffer(string: body))
    }

    static func returned(_ routingKey: String, exchange: String = "amq.direct") -> AMQP.Basic.Return {
        AMQP.Basic.Return(replyCode: 312, replyText: "NO_ROUTE", exchange: exchange, routingKey: routingKey)
    }

    static func ack(_ tags: UInt64...) -> PublisherConfirm {
        PublisherConfirm(isAck: true, deliveryTag: tags.max() ?? 0, multiple: tags.count > 1, deliveryTags: tags)
    }

    /// Hands a basic.return of `body` to the book; whether a publish took it.
    static func give(_ book: inout BlockingPendingConfirms, _ method: AMQP.Basic.Return, _ body: String) -> Bool {
        book.returned(method, body: ByteBuffer(string: body))
    }

    /// Resolves what a confirm settles and returns each outcome: "ok", "nack", or the routing
    /// key of the `UnroutableError`.
    static func settle(_ book: inout BlockingPendingConfirms, _ confirm: PublisherConfirm) -> [String] {
        book.confirmed(confirm).map { _, outcome in
            switch outcome {
            case .success: "ok"
            case .failure(let error as UnroutableError): "unroutable \(error.routingKey)"
            case .failure(let error as NackError): "nack \(error.deliveryTag)"
            case .failure(let error): "\(error)"
            }
        }
    }

    @Test("a return goes to the publish with the same exchange, routing key and body, not the lowest tag")
    func returnMatchesContent() {
        var book = BlockingPendingConfirms()
        book.add(1, mandatory: Self.mandatory("a", "first"), completion: Completion())
        book.add(2, mandatory: Self.mandatory("b", "second"), completion: Completion())
        #expect(Self.give(&book, Self.returned("b"), "second"))
        #expect(Self.settle(&book, Self.ack(1, 2)) == ["ok", "unroutable b"])
        #expect(book.count == 0)
    }

    @Test("equal publishes: the oldest waiting one takes the return, the next return the next one")
    func oldestFirst() {
        var book = BlockingPendingConfirms()
        for tag: UInt64 in [3, 1, 2] { book.add(tag, mandatory: Self.mandatory("k", "same"), completion: Completion()) }
        #expect(Self.give(&book, Self.returned("k"), "same"))
        #expect(Self.settle(&book, Self.ack(1)) == ["unroutable k"])
        #expect(Self.give(&book, Self.returned("k"), "same"))
        #expect(Self.settle(&book, Self.ack(2, 3)) == ["unroutable k", "ok"])
    }

    @Test("a return that matches no waiting mandatory publish is not taken")
    func unmatchedReturn() {
        var book = BlockingPendingConfirms()
        book.add(1, mandatory: nil, completion: Completion())  // not mandatory
        book.add(2, mandatory: Self.mandatory("k", "body"), completion: Completion())
        #expect(!Self.give(&book, Self.returned("k"), "other body"))
        #expect(!Self.give(&book, Self.returned("other key"), "body"))
        #expect(!Self.give(&book, Self.returned("k", exchange: "amq.topic"), "body"))
        #expect(Self.give(&book, Self.returned("k"), "body"))
        #expect(!Self.give(&book, Self.returned("k"), "body"), "a publish was returned twice")
        #expect(Self.settle(&book, Self.ack(1, 2)) == ["ok", "unroutable k"])
    }

    @Test("an abandoned (timed-out) publish is forgotten: its late ack resolves nothing, its return is not taken")
    func abandoned() throws {
        var book = BlockingPendingConfirms()
        let timedOut = Completion<Void>()
        let waiting = Completion<Void>()
        book.add(1, mandatory: Self.mandatory("k", "lost"), completion: timedOut)
        book.add(2, mandatory: Self.mandatory("k", "kept"), completion: waiting)
        book.abandon(timedOut)
        #expect(book.count == 1)
        #expect(!Self.give(&book, Self.returned("k"), "lost"))
        #expect(Self.settle(&book, Self.ack(1)).isEmpty)
        #expect(Self.settle(&book, Self.ack(2)) == ["ok"])
        book.abandon(waiting)  // no longer waiting: nothing happens
        #expect(book.count == 0)
    }

    @Test("a nack fails each publish it covers with NackError, even a returned one")
    func nack() {
        var book = BlockingPendingConfirms()
        book.add(4, mandatory: Self.mandatory("k", "x"), completion: Completion())
        book.add(5, mandatory: nil, completion: Completion())
        #expect(Self.give(&book, Self.returned("k"), "x"))
        let nack = PublisherConfirm(isAck: false, deliveryTag: 5, multiple: true, deliveryTags: [4, 5])
        #expect(Self.settle(&book, nack) == ["nack 4", "nack 5"])
    }

    @Test("removeAll hands back every waiting publish, oldest first, and empties the book")
    func removeAll() {
        var book = BlockingPendingConfirms()
        let completions = (0..<3).map { _ in Completion<Void>() }
        book.add(9, mandatory: nil, completion: completions[2])
        book.add(7, mandatory: nil, completion: completions[0])
        book.add(8, mandatory: Self.mandatory("k", "b"), completion: completions[1])
        let removed = book.removeAll()
        #expect(removed.count == 3)
        #expect(zip(removed, completions).allSatisfy { $0 === $1 })
        #expect(book.count == 0)
    }
}
