/// Socket options for the TCP connection (Pika's `tcp_options`). Options left nil keep the
/// system's settings.
public struct TCPOptions: Sendable, Hashable {
    /// Turns TCP keep-alive (SO_KEEPALIVE) on or off; nil turns it on when any of `keepIdle`,
    /// `keepInterval` or `keepCount` is set, as Pika does (see `enablesKeepAlive`).
    public var keepAlive: Bool?
    /// Seconds of idleness before the first keep-alive probe (TCP_KEEPIDLE).
    public var keepIdle: Int?
    /// Seconds between keep-alive probes (TCP_KEEPINTVL).
    public var keepInterval: Int?
    /// Unanswered probes before the connection is dropped (TCP_KEEPCNT).
    public var keepCount: Int?
    /// Milliseconds sent data may stay unacknowledged before the connection is dropped
    /// (TCP_USER_TIMEOUT, Linux).
    public var userTimeout: Int?
    /// Sends small writes at once (TCP_NODELAY); on by default.
    public var noDelay: Bool

    /// Creates TCP options; by default only TCP_NODELAY is set.
    public init(
        keepAlive: Bool? = nil,
        keepIdle: Int? = nil,
        keepInterval: Int? = nil,
        keepCount: Int? = nil,
        userTimeout: Int? = nil,
        noDelay: Bool = true
    ) {
        self.keepAlive = keepAlive
        self.keepIdle = keepIdle
        self.keepInterval = keepInterval
        self.keepCount = keepCount
        self.userTimeout = userTimeout
        self.noDelay = noDelay
    }

    /// Whether SO_KEEPALIVE is to be turned on: `keepAlive` when set, otherwise whether a
    /// keep-alive tuning option is set.
    public var enablesKeepAlive: Bool {
        keepAlive ?? (keepIdle != nil || keepInterval != nil || keepCount != nil)
    }
}
