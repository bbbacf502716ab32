/// Socket options for the TCP connection (Pika's `tcp_options`). Options left nil keep the
/// system's settings; receive coalescing is Hare's own.
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
    /// Receive coalescing (Linux 4.18 or later): while the broker sends a stream of messages
    /// faster than the connection wakes up to read them (one read brings at least an eighth of
    /// this, in 16 frames or more), the connection asks the kernel (SO_RCVLOWAT) to wake it only
    /// once half as much as that read has arrived, at most this many bytes, for fewer wake-ups
    /// and less CPU per message. 0 turns it off. Round trips, trickles of messages and large
    /// messages one at a time never engage it.
    public var receiveCoalescingBytes: Int
    /// Seconds a coalescing connection goes without a read before it lets go of the raised
    /// watermark: the most a slowing stream's last bytes wait is about twice this.
    public var receiveCoalescingDelay: Double

    /// The default `receiveCoalescingBytes`: 32 KiB.
    public static let defaultReceiveCoalescingBytes = 32 * 1024
    /// The default `receiveCoalescingDelay`: half a millisecond.
    public static let defaultReceiveCoalescingDelay = 0.0005

    /// Creates TCP options; by default only TCP_NODELAY is set.
    public init(
        keepAlive: Bool? = nil,
        keepIdle: Int? = nil,
        keepInterval: Int? = nil,
        keepCount: Int? = nil,
        userTimeout: Int? = nil,
        noDelay: Bool = true,
        receiveCoalescingBytes: Int = TCPOptions.defaultReceiveCoalescingBytes,
        receiveCoalescingDelay: Double = TCPOptions.defaultReceiveCoalescingDelay
    ) {
        self.keepAlive = keepAlive
        self.keepIdle = keepIdle
        self.keepInterval = keepInterval
        self.keepCount = keepCount
        self.userTimeout = userTimeout
        self.noDelay = noDelay
        self.receiveCoalescingBytes = receiveCoalescingBytes
        self.receiveCoalescingDelay = receiveCoalescingDelay
    }

    /// Whether SO_KEEPALIVE is to be turned on: `keepAlive` when set, otherwise whether a
    /// keep-alive tuning option is set.
    public var enablesKeepAlive: Bool {
        keepAlive ?? (keepIdle != nil || keepInterval != nil || keepCount != nil)
    }
}
