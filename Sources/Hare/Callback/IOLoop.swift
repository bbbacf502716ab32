import Dispatch
import NIOCore
import NIOPosix

/// The I/O loop of a `SelectConnection` (Pika's `connection.ioloop`).
///
/// The loop is a SwiftNIO event loop running on its own thread. `start()` parks the calling
/// thread until `stop()` (or Ctrl-C, which makes `start()` throw `KeyboardInterrupt`); the loop
/// itself keeps running, so `start()` may be called again, as Pika programs do to let a close
/// finish. Once the connection has closed (or failed to open), `start()` returns at once: there
/// is nothing left to wait for. Every callback of the connection and its channels runs on the loop's thread, one at
/// a time, in order.
public final class IOLoop: Sendable {
    /// The NIO event loop callbacks run on.
    public let eventLoop: any EventLoop
    private let ownedGroup: MultiThreadedEventLoopGroup?
    private let wakeUp = DispatchSemaphore(value: 0)

    private struct State {
        var stopPending = false
        var interrupted = false
        var closed = false
        /// The connection closed (or never opened): nothing is left to wait for.
        var ended = false
    }

    private let state = Guarded(State())

    /// A loop on a thread of its own.
    init() {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        ownedGroup = group
        eventLoop = group.next()
    }

    /// A loop on an event loop of an existing group (Pika's external-loop adapters).
    init(eventLoop: any EventLoop) {
        ownedGroup = nil
        self.eventLoop = eventLoop
    }

    deinit {
        ownedGroup?.shutdownGracefully(queue: .global()) { _ in }
    }

    /// Parks the calling thread until `stop()` is called or the connection has closed. A `stop()`
    /// that came before `start()` makes it return at once. Called on the loop's own thread (from a callback) it returns at
    /// once instead of deadlocking.
    ///
    /// - Throws: `KeyboardInterrupt` when SIGINT arrives while waiting.
    public func start() throws(KeyboardInterrupt) {
        guard !eventLoop.inEventLoop else { return }
        if state.withLock({ $0.ended }) { return }
        let token = InterruptWatcher.shared.add { [self] in
            state.withLock { $0.interrupted = true }
            wake()
        }
        defer { InterruptWatcher.shared.remove(token) }
        wakeUp.wait()
        let interrupted = state.withLock { state in
            state.stopPending = false
            defer { state.interrupted = false }
            return state.interrupted
        }
        if interrupted { throw KeyboardInterrupt() }
    }

    /// Makes `start()` return (from any thread, any number of times).
    public func stop() {
        wake()
    }

    /// Runs `callback` on the loop; safe from any thread (Pika's `add_callback_threadsafe`).
    public func addCallbackThreadsafe(_ callback: @escaping @Sendable () -> Void) {
        eventLoop.execute(callback)
    }

    /// Runs `callback` on the loop after `delay` seconds (Pika's `call_later`); returns a handle
    /// for `removeTimeout`.
    @discardableResult
    public func callLater(_ delay: Double, _ callback: @escaping @Sendable () -> Void) -> TimeoutHandle {
        TimeoutHandle(scheduled: eventLoop.scheduleTask(in: .clampedSeconds(delay), callback))
    }

    /// Cancels a `callLater` that has not run yet.
    public func removeTimeout(_ handle: TimeoutHandle) {
        handle.scheduled.cancel()
    }

    /// Ends the loop's thread (when the loop owns one) and makes `start()` return. The loop
    /// cannot be used afterwards.
    public func close() {
        let first = state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        connectionEnded()  // a thread parked in start() returns
        ownedGroup?.shutdownGracefully(queue: .global()) { _ in }
    }

    /// The connection closed for good: `start()` returns now and from now on.
    func connectionEnded() {
        state.withLock { $0.ended = true }
        wake()
    }

    private func wake() {
        let signal = state.withLock { state in
            defer { state.stopPending = true }
            return !state.stopPending
        }
        if signal { wakeUp.signal() }
    }
}

/// A timer set with `IOLoop.callLater`.
public struct TimeoutHandle: Sendable {
    let scheduled: Scheduled<Void>
}
