import NIOConcurrencyHelpers
import Testing

@testable import Hare

/// The buffer between a consumer's loop side and the task iterating it: order, watermarks, the
/// end, cancellation and dropping.
@Suite("ConsumerBuffer")
struct ConsumerBufferTests {
    /// Counts what the buffer asks of the loop side.
    final class Calls: Sendable {
        private let counts = NIOLockedValueBox((produceMore: 0, terminated: 0))
        var produceMore: Int { counts.withLockedValue { $0.produceMore } }
        var terminated: Int { counts.withLockedValue { $0.terminated } }

        func buffer(low: Int = 2, high: Int = 4) -> ConsumerBuffer<Int> {
            ConsumerBuffer(
                low: low, high: high,
                produceMore: { self.counts.withLockedValue { $0.produceMore += 1 } },
                terminated: { self.counts.withLockedValue { $0.terminated += 1 } }
            )
        }
    }

    @Test("a read's elements reach a waiting task at once, the first resuming it, all in order")
    func yieldResumesWaiter() async throws {
        let calls = Calls()
        let buffer = calls.buffer(high: 100)
        _ = buffer.claimIterator()
        let reader = Task { () -> [Int] in
            var seen: [Int] = []
            while seen.count < 5, let next = try await buffer.next() { seen.append(next) }
            return seen
        }
        try await Task.sleep(for: .milliseconds(50))  // the reader waits
        #expect(buffer.yield(contentsOf: [1, 2, 3]) == .produceMore)
        #expect(buffer.yield(contentsOf: [4, 5]) == .produceMore)
        #expect(try await reader.value == [1, 2, 3, 4, 5])
        #expect(calls.terminated == 0)
    }

    @Test("at the high watermark yield says stop; read down to the low one, produceMore runs once")
    func watermarks() async throws {
        let calls = Calls()
        let buffer = calls.buffer(low: 2, high: 4)
        _ = buffer.claimIterator()
        #expect(buffer.yield(contentsOf: [1, 2, 3]) == .produceMore)
        #expect(buffer.yield(contentsOf: [4, 5]) == .stopProducing)
        #expect(try await buffer.next() == 1)
        #expect(try await buffer.next() == 2)
        #expect(calls.produceMore == 0)  // 3 left
        #expect(try await buffer.next() == 3)
        #expect(calls.produceMore == 1)  // 2 left: the low watermark
        #expect(try await buffer.next() == 4)
        #expect(try await buffer.next() == 5)
        #expect(calls.produceMore == 1)
    }

    @Test("after finish, what is buffered is read first, then the error once, then nil; terminated runs once")
    func finishAfterBuffered() async throws {
        struct Closed: Error {}
        let calls = Calls()
        let buffer = calls.buffer(high: 100)
        _ = buffer.claimIterator()
        _ = buffer.yield(contentsOf: [1, 2])
        buffer.finish(Closed())
        #expect(buffer.yield(contentsOf: [3]) == .dropped)
        #expect(try await buffer.next() == 1)
        #expect(try await buffer.next() == 2)
        #expect(calls.terminated == 0)
        await #expect(throws: Closed.self) { try await buffer.next() }
        #expect(try await buffer.next() == nil)
        #expect(calls.terminated == 1)
    }

    /// A buffer with a task waiting in `next()`.
    func waitingReader(_ calls: Calls) async throws -> (ConsumerBuffer<Int>, Task<Int?, any Error>) {
        let buffer = calls.buffer()
        _ = buffer.claimIterator()
        let reader = Task { try await buffer.next() }
        try await Task.sleep(for: .milliseconds(50))
        return (buffer, reader)
    }

    @Test("finish ends a waiting task: nil without an error")
    func finishEndsWaiter() async throws {
        let calls = Calls()
        let (buffer, reader) = try await waitingReader(calls)
        buffer.finish()
        #expect(try await reader.value == nil)
        #expect(calls.terminated == 1)
    }

    @Test("cancelling the waiting task throws CancellationError, terminates once, and drops later yields")
    func cancellation() async throws {
        let calls = Calls()
        let (buffer, reader) = try await waitingReader(calls)
        reader.cancel()
        await #expect(throws: CancellationError.self) { try await reader.value }
        #expect(calls.terminated == 1)
        #expect(buffer.yield(contentsOf: [1]) == .dropped)
        // A task cancelled before it asks gets no buffered element either.
        let other = calls.buffer()
        _ = other.yield(contentsOf: [1])
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await other.next()
        }
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(calls.terminated == 2)
    }

    @Test("dropping the iterator terminates; dropping the sequence does only when no iterator was made")
    func dropping() {
        let calls = Calls()
        let iterated = calls.buffer()
        #expect(iterated.claimIterator())
        #expect(!iterated.claimIterator())
        iterated.sequenceDropped()
        #expect(calls.terminated == 0)
        iterated.iteratorDropped()
        #expect(calls.terminated == 1)
        iterated.iteratorDropped()
        #expect(calls.terminated == 1)

        let never = calls.buffer()
        never.sequenceDropped()
        #expect(calls.terminated == 2)
        #expect(never.yield(contentsOf: [1]) == .dropped)
    }

    /// Runs the reading loop in its own isolation, as a consumer loop on an actor does.
    actor Reader {
        func readAll(_ buffer: ConsumerBuffer<Int>) async throws -> [Int] {
            var seen: [Int] = []
            while let next = try await buffer.next() {
                assertIsolated()
                seen.append(next)
            }
            return seen
        }
    }

    @Test("a reader on an actor (next() runs in its isolation) gets every element in order, waiting in between")
    func readsOnAnActor() async throws {
        let calls = Calls()
        let buffer = calls.buffer(high: 100)
        _ = buffer.claimIterator()
        let reading = Task { try await Reader().readAll(buffer) }
        try await Task.sleep(for: .milliseconds(20))
        _ = buffer.yield(contentsOf: [1, 2])
        try await Task.sleep(for: .milliseconds(20))
        _ = buffer.yield(contentsOf: [3])
        buffer.finish()
        #expect(try await reading.value == [1, 2, 3])
    }
}
