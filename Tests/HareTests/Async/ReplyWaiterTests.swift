@testable import Hare
import Testing

/// The hand-over between the loop's answer and the waiting task, in every order.
@Suite("ReplyWaiter")
struct ReplyWaiterTests {
    struct Failure: Error, Equatable {}

    @Test("an answer before the task waits is kept and handed over when it does")
    func answerBeforeInstall() async throws {
        let waiter = ReplyWaiter<Int>()
        #expect(waiter.resolve(.success(7)))
        #expect(!waiter.resolve(.success(8)))
        let value = try await withCheckedThrowingContinuation { continuation in
            #expect(!waiter.install(continuation))
        }
        #expect(value == 7)
    }

    @Test("a failure before the task waits is thrown when it does")
    func failureBeforeInstall() async {
        let waiter = ReplyWaiter<Int>()
        waiter.resolve(.failure(Failure()))
        await #expect(throws: Failure.self) {
            _ = try await withCheckedThrowingContinuation { continuation in _ = waiter.install(continuation) }
        }
    }

    @Test("an answer while the task waits resumes it; a cancel after that changes nothing")
    func answerWhileWaiting() async throws {
        let waiter = ReplyWaiter<Int>()
        let value = try await withCheckedThrowingContinuation { continuation in
            #expect(waiter.install(continuation))
            #expect(waiter.resolve(.success(3)))
        }
        #expect(value == 3)
        #expect(!waiter.cancel())
    }

    @Test("a cancel before the task waits makes install throw CancellationError; the answer is dropped")
    func cancelBeforeInstall() async {
        let waiter = ReplyWaiter<Int>()
        #expect(waiter.cancel())
        #expect(!waiter.resolve(.success(1)))
        await #expect(throws: CancellationError.self) {
            _ = try await withCheckedThrowingContinuation { continuation in _ = waiter.install(continuation) }
        }
    }

    @Test("an answer that came first wins over a later cancel")
    func answerThenCancel() async throws {
        let waiter = ReplyWaiter<Int>()
        waiter.resolve(.success(5))
        #expect(!waiter.cancel())
        let value = try await withCheckedThrowingContinuation { continuation in _ = waiter.install(continuation) }
        #expect(value == 5)
    }

    @Test("a cancel while waiting throws CancellationError and drops the later answer")
    func cancelWhileWaiting() async {
        let waiter = ReplyWaiter<Int>()
        await #expect(throws: CancellationError.self) {
            _ = try await withCheckedThrowingContinuation { continuation in
                _ = waiter.install(continuation)
                #expect(waiter.cancel())
            }
        }
        #expect(!waiter.resolve(.success(2)))
    }
}
