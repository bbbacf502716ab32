import NIOCore

/// One recovery of a `SelectConnection`, from the loss until it succeeds or gives up. Loop only.
final class RecoveryProgress {
    /// Why the connection was lost.
    let lostWith: any Error & Sendable
    /// The reconnection attempt under way or last made (0 before the first).
    var attempt = 0
    /// The handler going down now was lost in a way that recovery handles (set between its
    /// closing and closed events): its channels wait for the new connection instead of closing.
    var handlerLost = false
    /// The delay before the next attempt.
    var timer: Scheduled<Void>?
    /// Calls waiting for the connection to come back, in arrival order.
    var waiters: [(id: Int, work: (Result<Void, any Error>) -> Void, timer: Scheduled<Void>?)] = []
    var nextWaiterID = 0

    init(lostWith: any Error & Sendable) {
        self.lostWith = lostWith
    }
}
