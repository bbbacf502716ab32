import Testing

@testable import Hare

@Suite("Heartbeat monitor")
struct HeartbeatMonitorTests {
    @Test("a tick with nothing sent asks for a heartbeat")
    func sendWhenIdle() {
        var monitor = HeartbeatMonitor()
        monitor.frameReceived()
        #expect(monitor.tick() == .sendHeartbeat)
    }

    @Test("a tick after something was sent asks for nothing, and the flag resets")
    func noSendAfterTraffic() {
        var monitor = HeartbeatMonitor()
        monitor.frameSent()
        monitor.frameReceived()
        #expect(monitor.tick() == .none)
        #expect(!monitor.sentSinceTick)
        #expect(!monitor.receivedSinceTick)
        monitor.frameReceived()
        #expect(monitor.tick() == .sendHeartbeat)
    }

    @Test("four silent ticks (two intervals) make the peer dead, not three")
    func deadAfterFourSilentTicks() {
        var monitor = HeartbeatMonitor()
        #expect(HeartbeatMonitor.silentTicksAllowed == 4)
        for expected in 1...3 {
            monitor.frameSent()
            #expect(monitor.tick() == .none)
            #expect(monitor.silentTicks == expected)
        }
        monitor.frameSent()
        #expect(monitor.tick() == .peerDead)
    }

    @Test("silence with nothing sent asks for heartbeats until the peer is dead")
    func silentBothWays() {
        var monitor = HeartbeatMonitor()
        #expect(monitor.tick() == .sendHeartbeat)
        #expect(monitor.tick() == .sendHeartbeat)
        #expect(monitor.tick() == .sendHeartbeat)
        #expect(monitor.tick() == .peerDead)
    }

    @Test("a received frame resets the silence count")
    func receivedResets() {
        var monitor = HeartbeatMonitor()
        _ = monitor.tick()
        _ = monitor.tick()
        _ = monitor.tick()
        #expect(monitor.silentTicks == 3)
        monitor.frameReceived()
        #expect(monitor.tick() == .sendHeartbeat)
        #expect(monitor.silentTicks == 0)
        _ = monitor.tick()
        _ = monitor.tick()
        _ = monitor.tick()
        #expect(monitor.tick() == .peerDead)
    }

    @Test("a steady two-way flow never kills the peer")
    func steadyTraffic() {
        var monitor = HeartbeatMonitor()
        for _ in 0..<100 {
            monitor.frameSent()
            monitor.frameReceived()
            #expect(monitor.tick() == .none)
        }
        #expect(monitor.silentTicks == 0)
    }
}
