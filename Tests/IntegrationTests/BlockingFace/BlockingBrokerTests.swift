import Testing
import HareTestSupport

extension Integration {
    /// What the broker does to a connection, through the blocking face. Some of these disturb the
    /// broker (a memory alarm, SIGSTOP); the parent suite is serialized so nothing overlaps them.
    @Suite("Blocking face: broker events")
    struct BlockingBrokerTests {
        @Test("a normal close reports ConnectionClosedByClient")
        func normalClose() async throws { try await BrokerScenarios.normalClose(BlockingFace.self) }

        @Test("rabbitmqctl close_connection is reported as ConnectionClosedByBroker(320)")
        func closedByOperator() async throws { try await BrokerScenarios.closedByOperator(BlockingFace.self) }

        @Test("a memory alarm raises blocked, clearing it unblocked")
        func memoryAlarm() async throws { try await BrokerScenarios.memoryAlarmBlocksAndUnblocks(BlockingFace.self) }

        @Test("blocked for longer than blocked_connection_timeout: closed with ConnectionBlockedTimeout")
        func blockedConnectionTimeout() async throws { try await BrokerScenarios.blockedConnectionTimeout(BlockingFace.self) }

        @Test("heartbeat=1: an idle connection stays open for 5 s")
        func idleConnectionStaysOpen() async throws { try await BrokerScenarios.idleConnectionStaysOpen(BlockingFace.self) }

        @Test("heartbeat=1: a broker paused for 4 s is reported dead within 3 s")
        func pausedBrokerIsDeadPeer() async throws { try await BrokerScenarios.pausedBrokerIsDeadPeer(BlockingFace.self) }
    }
}
