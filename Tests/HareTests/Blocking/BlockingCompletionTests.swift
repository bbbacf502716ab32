import Dispatch
import Synchronization
import Testing

@testable import Hare

/// The one answer a blocking call waits for.
@Suite("Blocking: Completion")
struct BlockingCompletionTests {
    struct Refused: Error, Equatable {}

    @Test("the first resolve wins; later ones are ignored")
    func firstResolveWins() throws {
        let completion = Completion<Int>()
        #expect(completion.resolve(.success(1)))
        #expect(!completion.resolve(.success(2)))
        #expect(!completion.resolve(.failure(Refused())))
        #expect(try completion.wait(seconds: 1, operation: "test") == 1)
        // Waiting again gives the same answer at once.
        #expect(try completion.wait(seconds: 0, operation: "test") == 1)
    }

    @Test("a failure is thrown by wait")
    func failureIsThrown() {
        let completion = Completion<Int>()
        completion.resolve(.failure(Refused()))
        #expect(throws: Refused()) { try completion.wait(seconds: 1, operation: "test") }
    }

    @Test("a resolve from another thread ends the wait")
    func resolveFromAnotherThread() throws {
        let completion = Completion<String>()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { completion.resolve(.success("answer")) }
        let start = ContinuousClock.now
        #expect(try completion.wait(seconds: 30, operation: "test") == "answer")
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test("no answer in time: BlockingCallTimeout naming the operation and the bound; onTimeout runs once")
    func timeout() {
        let completion = Completion<Int>()
        let timeouts = Atomic<Int>(0)
        let start = ContinuousClock.now
        #expect(throws: BlockingCallTimeout(operation: "queue.declare", seconds: 0.2)) {
            try completion.wait(seconds: 0.2, operation: "queue.declare") { timeouts.add(1, ordering: .relaxed) }
        }
        #expect(ContinuousClock.now - start >= .milliseconds(200))
        #expect(timeouts.load(ordering: .relaxed) == 1)
        // The late answer is dropped: the timeout settled it.
        #expect(!completion.resolve(.success(7)))
        #expect(throws: BlockingCallTimeout.self) { try completion.wait(seconds: 0, operation: "queue.declare") }
    }

    @Test("an answer in time does not run onTimeout")
    func answerInTimeSkipsOnTimeout() throws {
        let completion = Completion<Int>()
        completion.resolve(.success(3))
        let timeouts = Atomic<Int>(0)
        #expect(try completion.wait(seconds: 1, operation: "test") { timeouts.add(1, ordering: .relaxed) } == 3)
        #expect(timeouts.load(ordering: .relaxed) == 0)
    }

    @Test("a non-finite or negative bound does not trap")
    func oddBounds() throws {
        let resolved = Completion<Int>()
        resolved.resolve(.success(1))
        #expect(try resolved.wait(seconds: .infinity, operation: "test") == 1)
        #expect(try resolved.wait(seconds: .nan, operation: "test") == 1)
        let unresolved = Completion<Int>()
        #expect(throws: BlockingCallTimeout.self) { try unresolved.wait(seconds: -1, operation: "test") }
    }
}
