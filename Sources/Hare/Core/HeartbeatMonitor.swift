/// Heartbeat bookkeeping without clocks: the I/O layer calls `tick()` every interval/2 and tells
/// the monitor about traffic. A tick period with nothing sent asks for a heartbeat; four tick
/// periods (two intervals) with nothing received mean the peer is dead.
struct HeartbeatMonitor: Equatable {
    /// What a tick asks for.
    enum TickAction: Equatable {
        case none
        case sendHeartbeat
        case peerDead
    }

    /// Tick periods with nothing received that make the peer dead (two intervals).
    static let silentTicksAllowed = 4

    private(set) var sentSinceTick = false
    private(set) var receivedSinceTick = false
    private(set) var silentTicks = 0

    mutating func frameSent() { sentSinceTick = true }
    mutating func frameReceived() { receivedSinceTick = true }

    mutating func tick() -> TickAction {
        defer {
            sentSinceTick = false
            receivedSinceTick = false
        }
        if receivedSinceTick {
            silentTicks = 0
        } else {
            silentTicks += 1
            if silentTicks >= Self.silentTicksAllowed { return .peerDead }
        }
        return sentSinceTick ? .none : .sendHeartbeat
    }
}
