/// When a connection asks the kernel to wake it only once more bytes have arrived
/// (SO_RCVLOWAT), so that a fast stream from the broker is read in fewer, larger reads: on
/// this machine a wake-up costs more CPU than decoding the deliveries it brings.
///
/// It engages when a single read brings at least an eighth of `bytes` in at least
/// `engagingMessages` frames or whole deliveries (a stream of messages arriving faster than the
/// connection wakes, not one large message), with a low watermark of half that read: the broker
/// had the whole read in flight at once, so it can send half of it again without waiting for
/// the application (its prefetch window). Later such reads raise the watermark the same way, up
/// to `bytes`. It lets go at the first tick (every `receiveCoalescingDelay` while engaged) that
/// saw no read: the bytes that wait for the watermark when the stream slows or stops wait at
/// most about two ticks. Round trips, trickles of messages and large messages one at a time
/// never engage it. No I/O here: the handler sets the socket option and runs the tick.
struct ReceiveCoalescer {
    /// What the handler does after an event.
    enum Action: Equatable {
        case none
        /// Set the receive low watermark to this many bytes; tick until let go.
        case engage(lowWatermark: Int)
        /// Set the receive low watermark back to 1 byte, and stop ticking.
        case letGo
    }

    /// The fewest frames or whole deliveries in one read that engage it or raise it.
    static let engagingMessages = 16

    /// The highest low watermark; 0 turns coalescing off.
    private(set) var bytes: Int
    /// The low watermark now; 1 when not engaged.
    private(set) var lowWatermark = 1
    /// How many times it engaged (for tests and diagnostics).
    private(set) var engagements = 0
    private var readSinceTick = false

    init(bytes: Int) {
        self.bytes = max(0, bytes)
    }

    /// Whether the low watermark is raised now.
    var isEngaged: Bool { lowWatermark > 1 }

    /// The fewest bytes in one read that engage it.
    var engagingRead: Int { max(2, bytes / 8) }

    /// A read of `count` bytes arrived and completed `messages` frames or whole deliveries.
    mutating func read(_ count: Int, messages: Int) -> Action {
        readSinceTick = true
        guard bytes > 0, messages >= Self.engagingMessages else { return .none }
        let target = min(bytes, count / 2)
        if isEngaged {
            guard target > lowWatermark else { return .none }
        } else {
            guard count >= engagingRead, target > 1 else { return .none }
            engagements += 1
        }
        lowWatermark = target
        return .engage(lowWatermark: target)
    }

    /// The tick, every `receiveCoalescingDelay` seconds while engaged.
    mutating func tick() -> Action {
        defer { readSinceTick = false }
        guard isEngaged, !readSinceTick else { return .none }
        lowWatermark = 1
        return .letGo
    }

    /// The socket refused the option: coalescing stays off for this connection.
    mutating func unsupported() {
        bytes = 0
        lowWatermark = 1
    }
}
