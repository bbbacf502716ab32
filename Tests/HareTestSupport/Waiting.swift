import Dispatch
import NIOConcurrencyHelpers
import Testing

/// Resolves a continuation once: the first of a callback and a timeout wins.
public final class OneShot<Value: Sendable>: Sendable {
    private let continuation: Locked<CheckedContinuation<Value, any Error>?>

    public init(_ continuation: CheckedContinuation<Value, any Error>) {
        self.continuation = Locked(continuation)
    }

    public func resolve(_ result: Result<Value, any Error>) {
        let pending = continuation.withLock { slot -> CheckedContinuation<Value, any Error>? in
            defer { slot = nil }
            return slot
        }
        pending?.resume(with: result)
    }
}

/// Bridges one callback to `async`: `start` receives a function to call with the result (from
/// any thread, any number of times; the first call counts). Fails with `TestTimeout` after
/// `timeout` seconds.
public func awaitCallback<Value: Sendable>(
    _ what: String, timeout: Double = 10,
    _ start: (@escaping @Sendable (Result<Value, any Error>) -> Void) -> Void
) async throws -> Value {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
        let shot = OneShot(continuation)
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            shot.resolve(.failure(TestTimeout(what: what, seconds: timeout)))
        }
        start { shot.resolve($0) }
    }
}

/// A queue of events put from callbacks (any thread) and taken in order by the test, each take
/// bounded by a timeout. One taker at a time.
public final class Mailbox<Element: Sendable>: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Element, any Error>
    }

    private struct State {
        var buffer: [Element] = []
        var waiter: Waiter?
        var nextID: UInt64 = 0
    }

    private let state = Locked(State())
    /// What the mailbox holds, for timeout messages.
    public let name: String

    public init(_ name: String) {
        self.name = name
    }

    /// Adds an event; hands it to a waiting taker at once.
    public func put(_ element: Element) {
        let waiter = state.withLock { state -> Waiter? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.buffer.append(element)
            return nil
        }
        waiter?.continuation.resume(returning: element)
    }

    /// Takes the oldest event, waiting up to `timeout` seconds for one.
    public func next(timeout: Double = 10) async throws -> Element {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element, any Error>) in
            let outcome = state.withLock { state -> Result<Element, any Error>? in
                if !state.buffer.isEmpty { return .success(state.buffer.removeFirst()) }
                if state.waiter != nil {
                    return .failure(TestTimeout(what: "\(name) (a second concurrent taker)", seconds: 0))
                }
                state.nextID += 1
                state.waiter = Waiter(id: state.nextID, continuation: continuation)
                let id = state.nextID
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [self] in
                    expire(id, timeout: timeout)
                }
                return nil
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    /// Every event received so far that nobody took, without waiting.
    public func drain() -> [Element] {
        state.withLock { state in
            defer { state.buffer.removeAll() }
            return state.buffer
        }
    }

    /// How many events wait to be taken.
    public var count: Int { state.withLock { $0.buffer.count } }

    private func expire(_ id: UInt64, timeout: Double) {
        let waiter = state.withLock { state -> Waiter? in
            guard let waiter = state.waiter, waiter.id == id else { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.continuation.resume(throwing: TestTimeout(what: name, seconds: timeout))
    }
}

/// Sleeps `seconds` (test pacing only; never a substitute for waiting on an event).
public func pause(_ seconds: Double) async throws {
    try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
}

/// A value shared between callbacks and the test, behind a lock. A pthread lock (not
/// `Synchronization.Mutex`), so that the thread sanitizer sees the ordering it gives.
public final class Locked<Value: Sendable>: Sendable {
    private let box: NIOLockedValueBox<Value>

    public init(_ value: Value) {
        box = NIOLockedValueBox(value)
    }

    /// Runs `body` with the value locked.
    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try box.withLockedValue(body)
    }

    /// The current value.
    public var value: Value { box.withLockedValue { $0 } }
}

/// Runs `body`, failing with `TestTimeout` when it takes longer than `seconds` (the body's task
/// is cancelled then).
public func withTimeout<T: Sendable>(
    _ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TestTimeout(what: what, seconds: seconds)
        }
        return value
    }
}
