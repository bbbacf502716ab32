import Synchronization

/// A callback scheduled with `BlockingConnection.callLater`; pass it to `removeTimeout`.
public final class BlockingTimeoutHandle: @unchecked Sendable {
    private let cancelled = Atomic<Bool>(false)
    /// The loop timer; set once, right after creation.
    var scheduled: TimeoutHandle?

    init() {}

    /// Whether `removeTimeout` was called.
    var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    func cancel() {
        cancelled.store(true, ordering: .releasing)
        if let scheduled { scheduled.scheduled.cancel() }
    }
}
