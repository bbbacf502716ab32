import Testing
import HareTestSupport

extension Integration {
    /// What the broker does to a connection, through the callback face. Some of these disturb the
    /// broker (a memory alarm, SIGSTOP); the parent suite is serialized so nothing overlaps them.
    @Suite("Callback face: broker events")
    struct CallbackBrokerTests {
        @Test("a normal close reaches onClose as ConnectionClosedByClient")
        func normalClose() async throws { try await BrokerScenarios.normalClose(CallbackFace.self) }

        @Test("rabbitmqctl close_connection reaches onClose as ConnectionClosedByBroker(320)")
        func closedByOperator() async throws { try await BrokerScenarios.closedByOperator(CallbackFace.self) }

        @Test("a memory alarm raises blocked, clearing it unblocked")
        func memoryAlarm() async throws { try await BrokerScenarios.memoryAlarmBlocksAndUnblocks(CallbackFace.self) }

        @Test("blocked for longer than blocked_connection_timeout: onClose gets ConnectionBlockedTimeout")
        func blockedConnectionTimeout() async throws { try await BrokerScenarios.blockedConnectionTimeout(CallbackFace.self) }

        @Test("heartbeat=1: an idle connection stays open for 5 s")
        func idleConnectionStaysOpen() async throws { try await BrokerScenarios.idleConnectionStaysOpen(CallbackFace.self) }

        @Test("heartbeat=1: a broker paused for 4 s is reported dead within 3 s")
        func pausedBrokerIsDeadPeer() async throws { try await BrokerScenarios.pausedBrokerIsDeadPeer(CallbackFace.self) }
    }
}
