/// A notice from the broker that it stopped (connection.blocked) or resumed
/// (connection.unblocked) reading from the connection's publishers, for a memory or disk alarm.
public enum BlockedNotice: Sendable, Hashable {
    /// connection.blocked, with the broker's reason (`low on memory`, ...).
    case blocked(reason: String)
    /// connection.unblocked.
    case unblocked
}
