import AMQPProtocol
import Dispatch
import Foundation
import Hare
import Testing
import HareTestSupport

/// The blocking face (`BlockingConnection` / `BlockingChannel`) behind the scenario protocols.
/// Each connection gets a thread of its own (a script's main thread, in effect): every blocking
/// call runs there, and between calls the thread runs `processDataEvents`, so consumer,
/// return, cancel and blocked callbacks reach their mailboxes on that thread.
enum BlockingFace: TestFace {
    static let name = "blocking"

    static func connect(_ parameters: ConnectionParameters, timeout: Double) async throws -> BlockingFaceConnection {
        try await BlockingFaceConnection.open(parameters, timeout: timeout)
    }
}

/// The application thread of one blocking connection: runs submitted jobs in order and, when
/// idle, the connection's pending callbacks.
final class BlockingWorker: @unchecked Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var stopped = false
        var connection: BlockingConnection?
    }

    private let state = Locked(State())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// The worker's thread, to check that callbacks run on it.
    private let threadID = Locked<ObjectIdentifier?>(nil)

    init(name: String) {
        let thread = Thread { [self] in runLoop() }
        thread.name = name
        thread.start()
    }

    /// Whether the caller runs on the worker's thread.
    var isCurrent: Bool { threadID.withLock { $0 } == ObjectIdentifier(Thread.current) }

    /// The connection whose events the worker processes while idle.
    func attach(_ connection: BlockingConnection) {
        state.withLock { $0.connection = connection }
    }

    /// Runs `body` on the worker's thread and returns what it returns or throws.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            submit { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Queues a job.
    func submit(_ job: @escaping @Sendable () -> Void) {
        let (accepted, connection) = state.withLock { state -> (Bool, BlockingConnection?) in
            guard !state.stopped else { return (false, nil) }
            state.jobs.append(job)
            return (true, state.connection)
        }
        guard accepted else {
            job()  // never strand a waiting test; the worker is gone
            return
        }
        wake.signal()
        // Ends a processDataEvents wait at once.
        if let connection, connection.isOpen { try? connection.addCallbackThreadsafe {} }
    }

    /// Ends the thread once the queued jobs ran.
    func stop() {
        state.withLock { $0.stopped = true }
        wake.signal()
        _ = finished.wait(timeout: .now() + 30)
    }

    private func runLoop() {
        threadID.withLock { $0 = ObjectIdentifier(Thread.current) }
        while true {
            let (jobs, stopped, connection) = state.withLock { state in
                defer { state.jobs.removeAll() }
                return (state.jobs, state.stopped, state.connection)
            }
            for job in jobs { job() }
            if stopped && jobs.isEmpty { break }
            if !jobs.isEmpty { continue }
            if let connection, connection.isOpen {
                try? connection.processDataEvents(timeLimit: 0.05)
            } else {
                _ = wake.wait(timeout: .now() + 0.05)
            }
        }
        finished.signal()
    }
}

/// A `BlockingConnection` driven from its own worker thread.
final class BlockingFaceConnection: FaceConnection, @unchecked Sendable {
    let connection: BlockingConnection
    let worker: BlockingWorker
    let notices: Mailbox<ConnectionNotice>
    /// Callbacks that ran off the worker thread (the face promises the application's thread).
    let offThread = Locked<[String]>([])

    private init(connection: BlockingConnection, worker: BlockingWorker, notices: Mailbox<ConnectionNotice>) {
        self.connection = connection
        self.worker = worker
        self.notices = notices
    }

    /// Opens a `BlockingConnection` on a new worker thread; throws what its initializer threw.
    static func open(_ parameters: ConnectionParameters, timeout: Double = 15) async throws -> BlockingFaceConnection {
        let worker = BlockingWorker(name: "hare-blocking-test")
        let notices = Mailbox<ConnectionNotice>("connection.blocked / unblocked")
        let opened: BlockingConnection
        do {
            opened = try await worker.run { try BlockingConnection(parameters) }
        } catch {
            worker.stop()
            throw error
        }
        let face = BlockingFaceConnection(connection: opened, worker: worker, notices: notices)
        try await worker.run { [face] in
            face.connection.addOnConnectionBlockedCallback { _, blocked in
                face.noteThread("connection blocked")
                notices.put(.blocked(reason: blocked.reason))
            }
            face.connection.addOnConnectionUnblockedCallback { _, _ in
                face.noteThread("connection unblocked")
                notices.put(.unblocked)
            }
        }
        worker.attach(opened)
        return face
    }

    /// Records `callback` when it runs off the worker thread.
    func noteThread(_ callback: String) {
        if !worker.isCurrent { offThread.withLock { $0.append(callback) } }
    }

    var isOpen: Bool { connection.isOpen }

    func openChannel() async throws -> BlockingFaceChannel {
        let channel = try await worker.run { [connection] in try connection.channel() }
        return try await BlockingFaceChannel.make(channel, connection: self)
    }

    func close() async throws -> any Error {
        try await worker.run { [connection] in try connection.close() }
        guard let reason = connection.closeReason else {
            throw ScenarioFailure("close() returned but the connection has no close reason")
        }
        return reason
    }

    func closeReason(timeout: Double) async throws -> any Error {
        try await Self.poll("the connection's close reason", timeout: timeout) { [connection] in connection.closeReason }
    }

    func nextNotice(timeout: Double) async throws -> ConnectionNotice {
        try await notices.next(timeout: timeout)
    }

    func shutdown() async {
        if !connection.isClosed {
            _ = try? await worker.run { [connection] in try connection.close() }
        }
        worker.stop()
        for callback in offThread.value {
            Issue.record("the \(callback) callback ran off the application's thread")
        }
    }

    /// Polls `value` until it is non-nil, at most `timeout` seconds.
    static func poll<T>(_ what: String, timeout: Double, _ value: @Sendable () -> T?) async throws -> T {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while true {
            if let found = value() { return found }
            guard ContinuousClock.now < deadline else { throw TestTimeout(what: what, seconds: timeout) }
            try await pause(0.02)
        }
    }
}
