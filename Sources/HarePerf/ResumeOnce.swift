import NIOConcurrencyHelpers

/// An answer that callbacks give (the first one counts) and a task waits for, with a bound.
final class ResumeOnce<Value: Sendable>: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<Value, any Error>)
        case resolved(Result<Value, any Error>)
        case done
    }

    private let state: NIOLockedValueBox<State>

    /// An answer nobody waits for yet.
    init() {
        state = NIOLockedValueBox(.empty)
    }

    /// Hands `result` to the waiting task (or keeps it for `wait`) unless an answer came already.
    func resume(_ result: Result<Value, any Error>) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Value, any Error>? in
            switch state {
            case .waiting(let continuation):
                state = .done
                return continuation
            case .empty:
                state = .resolved(result)
                return nil
            case .resolved, .done:
                return nil
            }
        }
        waiter?.resume(with: result)
    }

    /// Waits for the answer at most `seconds`; throws `PerfTimeout` after that.
    func wait(seconds: Double) async throws -> Value {
        try await withThrowingTaskGroup(of: Value.self) { group in
            group.addTask {
                try await withCheckedThrowingContinuation { continuation in
                    let early = self.state.withLockedValue { state -> Result<Value, any Error>? in
                        switch state {
                        case .empty:
                            state = .waiting(continuation)
                            return nil
                        case .resolved(let result):
                            state = .done
                            return result
                        case .waiting, .done:
                            return .failure(PerfTimeout(seconds: seconds))
                        }
                    }
                    if let early { continuation.resume(with: early) }
                }
            }
            group.addTask {
                // Cancelled or not, the wait above must end: the timeout answers it.
                try? await Task.sleep(nanoseconds: UInt64(Swift.min(Swift.max(seconds, 0), 1e9) * 1e9))
                self.resume(.failure(PerfTimeout(seconds: seconds)))
                throw PerfTimeout(seconds: seconds)
            }
            defer { group.cancelAll() }
            guard let value = try await group.next() else { throw PerfTimeout(seconds: seconds) }
            return value
        }
    }
}

/// A wait of the perf run that took longer than its bound.
struct PerfTimeout: Error, CustomStringConvertible {
    var seconds: Double
    var description: String { "no answer within \(seconds) s" }
}
