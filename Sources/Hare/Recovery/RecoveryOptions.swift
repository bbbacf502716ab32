/// How a connection recovers by itself after it is lost: reconnect with a backoff across its
/// hosts, reopen its channels with the same numbers, re-apply qos and confirm mode, redeclare
/// what it declared and restart its consumers.
///
/// Recovery starts on an I/O error, on missed heartbeats, and on a broker close with 320
/// (connection-forced: `rabbitmqctl close_connection`, a node shutting down). It never starts
/// after the application closed the connection, on a channel-level error, or when the first
/// connect fails (that error goes to the caller).
///
/// On by default for the async face (`Connection.connect`); `.disabled` by default for
/// `SelectConnection` and `BlockingConnection`, which take it as an option.
public struct RecoveryOptions: Sendable {
    /// What publishes (and other calls) do while the connection recovers.
    public enum WhileRecovering: Sendable, Hashable {
        /// They wait until the connection is back, at most this many seconds; then they fail
        /// with `ConnectionRecoveringError`.
        case wait(timeout: Double)
        /// They fail at once with `ConnectionRecoveringError`.
        case failFast
    }

    /// Whether the connection recovers at all.
    public var isEnabled: Bool
    /// The delay before the first reconnection attempt, in seconds.
    public var initialDelay: Double
    /// The longest delay between attempts, in seconds.
    public var maxDelay: Double
    /// How much each delay grows over the one before.
    public var multiplier: Double
    /// The random spread of each delay, as a fraction of it (0.2: ±20 %), so a crowd of clients
    /// does not come back in step.
    public var jitter: Double
    /// How many reconnection attempts (each tries every host once) before giving up; nil tries
    /// for as long as the application does not close the connection. Every failure is retried,
    /// refused credentials included (a credentials provider may have fresh ones).
    public var maxAttempts: Int?
    /// What publishes and calls do while the connection recovers.
    public var whileRecovering: WhileRecovering
    /// Whether exchanges, queues, bindings and consumers are redeclared (true) or only the
    /// channels are reopened (false: every consumer is then reported cancelled).
    public var recoverTopology: Bool
    /// Which recorded entities to redeclare: return false to leave one out (a consumer left out
    /// is reported cancelled). Called on the connection's loop.
    public var topologyFilter: (@Sendable (RecordedEntity) -> Bool)?

    /// Options with the given values; the defaults reconnect after 0.5 s, then 1, 2, 4, 8 and
    /// every 10 s (±20 %), for ever, and hold publishes up to 30 s.
    public init(
        isEnabled: Bool = true, initialDelay: Double = 0.5, maxDelay: Double = 10, multiplier: Double = 2, jitter: Double = 0.2,
        maxAttempts: Int? = nil, whileRecovering: WhileRecovering = .wait(timeout: 30), recoverTopology: Bool = true,
        topologyFilter: (@Sendable (RecordedEntity) -> Bool)? = nil
    ) {
        self.isEnabled = isEnabled
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.jitter = jitter
        self.maxAttempts = maxAttempts
        self.whileRecovering = whileRecovering
        self.recoverTopology = recoverTopology
        self.topologyFilter = topologyFilter
    }

    /// Recovery on, with the default timings.
    public static var enabled: RecoveryOptions { RecoveryOptions() }
    /// No recovery: a lost connection stays closed (Pika's behaviour).
    public static var disabled: RecoveryOptions { RecoveryOptions(isEnabled: false) }
}
