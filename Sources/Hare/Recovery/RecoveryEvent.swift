/// What a recovering connection tells its listeners, in order: `started`, then any of
/// `attemptFailed`, `queueNameChanged`, `entityFailed`, then `succeeded` (or, when it gives up,
/// the connection closes with the last error).
public enum RecoveryEvent: Sendable {
    /// The connection was lost and recovery began; the error is why it was lost.
    case started(any Error & Sendable)
    /// A reconnection attempt failed; `retryIn` is the delay before the next one (nil: that was
    /// the last attempt, and the connection now closes with `error`).
    case attemptFailed(attempt: Int, error: any Error & Sendable, retryIn: Double?)
    /// A server-named queue came back under a new name.
    case queueNameChanged(old: String, new: String)
    /// An entity could not be redeclared (the broker refused it, or a consumer's queue is
    /// gone); recovery went on without it, and a consumer left behind was reported cancelled.
    case entityFailed(RecordedEntity, any Error & Sendable)
    /// The connection is open again, its channels reopened, its topology and consumers back.
    case succeeded(attempts: Int)
}
