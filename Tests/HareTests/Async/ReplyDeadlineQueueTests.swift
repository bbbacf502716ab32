import NIOCore
import NIOEmbedded
import Testing

@testable import Hare

/// Many waits' deadlines under one loop timer (`publish` waiting for confirms).
@Suite("ReplyDeadlineQueue")
struct ReplyDeadlineQueueTests {
    func outcome(_ waiter: ReplyWaiter<Void>) async -> String {
        do {
            try await withCheckedThrowingContinuation { continuation in
                _ = waiter.install(continuation)
            }
            return "answered"
        } catch let error as RPCTimeoutError {
            return "timed out: \(error.operation)"
        } catch {
            return "failed: \(error)"
        }
    }

    @Test("each wait ends at its own bound, unless settled first; one timer at a time")
    func expiriesInOrder() async {
        let loop = EmbeddedEventLoop()
        let deadline = ReplyDeadline(eventLoop: loop, seconds: 10, operation: "publish")
        let queue = ReplyDeadlineQueue()
        let first = ReplyWaiter<Void>(), second = ReplyWaiter<Void>(), third = ReplyWaiter<Void>()
        queue.add(first, deadline)
        loop.advanceTime(by: .seconds(4))
        queue.add(second, deadline)
        queue.add(third, deadline)
        second.resolve(.success(()))
        queue.dropSettled()
        loop.advanceTime(by: .seconds(7))  // 11 s: past the first's bound only
        #expect(!first.isPending)
        #expect(third.isPending)
        loop.advanceTime(by: .seconds(3))  // 14 s: past the third's
        #expect(!third.isPending)
        #expect(await outcome(first) == "timed out: publish")
        #expect(await outcome(second) == "answered")
        #expect(await outcome(third) == "timed out: publish")
    }

    @Test("removeAll forgets the waits and stops the timer")
    func removeAllStops() {
        let loop = EmbeddedEventLoop()
        let queue = ReplyDeadlineQueue()
        let waiter = ReplyWaiter<Void>()
        queue.add(waiter, ReplyDeadline(eventLoop: loop, seconds: 1, operation: "publish"))
        queue.removeAll()
        loop.advanceTime(by: .seconds(5))
        #expect(waiter.isPending)
    }

    @Test("bound(by:) ends a wait still unanswered at its bound, on the loop; answered waits keep their answer")
    func singleWaitBound() async {
        let loop = EmbeddedEventLoop()
        let deadline = ReplyDeadline(eventLoop: loop, seconds: 10, operation: "queueDeclare")
        let late = ReplyWaiter<Void>(), answered = ReplyWaiter<Void>(), answeredEarly = ReplyWaiter<Void>()
        late.bound(by: deadline)
        answered.bound(by: deadline)
        answeredEarly.bound(by: deadline)
        answeredEarly.resolve(.success(()))  // before the loop set its timer
        loop.run()
        answered.resolve(.success(()))
        loop.advanceTime(by: .seconds(9))
        #expect(late.isPending)
        loop.advanceTime(by: .seconds(2))
        #expect(!late.isPending)
        #expect(await outcome(late) == "timed out: queueDeclare")
        #expect(await outcome(answered) == "answered")
        #expect(await outcome(answeredEarly) == "answered")
    }
}
