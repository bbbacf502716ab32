import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns SIGINT into a call while at least one `IOLoop.start()` is waiting; outside of that,
/// SIGINT keeps the meaning it had before (by default, the process ends).
final class InterruptWatcher: Sendable {
    static let shared = InterruptWatcher()

    private struct State {
        var listeners: [Int: @Sendable () -> Void] = [:]
        var nextID = 0
        var source: (any DispatchSourceSignal)?
        /// The SIGINT disposition before the watcher took over, put back when it lets go.
        var previous: (@convention(c) (Int32) -> Void)?
    }

    private let state = Guarded(State())

    /// Starts calling `listener` on SIGINT; returns a token for `remove`.
    func add(_ listener: @escaping @Sendable () -> Void) -> Int {
        state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.listeners[id] = listener
            if state.source == nil {
                state.previous = signal(SIGINT, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
                source.setEventHandler { [self] in fire() }
                source.resume()
                state.source = source
            }
            return id
        }
    }

    func remove(_ id: Int) {
        state.withLock { state in
            state.listeners[id] = nil
            if state.listeners.isEmpty, let source = state.source {
                source.cancel()
                state.source = nil
                signal(SIGINT, state.previous ?? SIG_DFL)
                state.previous = nil
            }
        }
    }

    private func fire() {
        let listeners = state.withLock { Array($0.listeners.values) }
        for listener in listeners { listener() }
    }
}
