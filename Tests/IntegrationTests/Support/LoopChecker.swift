import NIOCore
import Testing
import HareTestSupport

/// Records every callback of the callback face that ran off its connection's loop thread (the
/// face promises that every callback runs on the loop). Checked when the connection is released.
final class LoopChecker: Sendable {
    private let offenders = Locked<[String]>([])

    /// Notes `callback` unless it runs on `eventLoop`, the connection's loop.
    func check(_ eventLoop: any EventLoop, _ callback: String) {
        if !eventLoop.inEventLoop {
            offenders.withLock { $0.append(callback) }
        }
    }

    /// Records a test issue for each callback that ran off the loop.
    func verify(sourceLocation: SourceLocation = #_sourceLocation) {
        let seen = offenders.withLock { $0 }
        for callback in seen {
            Issue.record("the \(callback) callback ran off the connection's loop", sourceLocation: sourceLocation)
        }
    }
}
