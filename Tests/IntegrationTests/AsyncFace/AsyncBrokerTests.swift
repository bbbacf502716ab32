import Testing
import HareTestSupport

extension Integration {
    /// What the broker does to a connection, through the async face. Some of these disturb the
    /// broker (a memory alarm, SIGSTOP); the parent suite is serialized so nothing overlaps them.
    @Suite("Async face: broker events")
    struct AsyncBrokerTests {
        @Test("a normal close ends the connection with ConnectionClosedByClient")
        func normalClose() async throws { try await BrokerScenarios.normalClose(AsyncFace.self) }

        @Test("rabbitmqctl close_connection ends the connection with ConnectionClosedByBroker(320)")
        func closedByOperator() async throws { try await BrokerScenarios.closedByOperator(AsyncFace.self) }

        @Test("a memory alarm raises blocked, clearing it unblocked")
        func memoryAlarm() async throws { try await BrokerScenarios.memoryAlarmBlocksAndUnblocks(AsyncFace.self) }

        @Test("blocked for longer than blocked_connection_timeout: closed() returns ConnectionBlockedTimeout")
        func blockedConnectionTimeout() async throws { try await BrokerScenarios.blockedConnectionTimeout(AsyncFace.self) }

        @Test("heartbeat=1: an idle connection stays open for 5 s")
        func idleConnectionStaysOpen() async throws { try await BrokerScenarios.idleConnectionStaysOpen(AsyncFace.self) }

        @Test("heartbeat=1: a broker paused for 4 s is reported dead within 3 s")
        func pausedBrokerIsDeadPeer() async throws { try await BrokerScenarios.pausedBrokerIsDeadPeer(AsyncFace.self) }
    }
}
