import Testing
import HareTestSupport

extension Integration {
    /// Confirms, returns, broker cancels and large bodies through the blocking face.
    ///
    /// Not listed: `DeliveryScenarios.confirmEveryPublish`, which expects many publishes in
    /// flight and multiple acks: a blocking publish in confirm mode waits for its own ack, so
    /// there is only ever one in flight. `BlockingSpecificTests` publishes 2000 messages with
    /// confirms instead.
    @Suite("Blocking face: deliveries")
    struct BlockingDeliveryTests {
        @Test("confirm mode: a full queue with reject-publish: the first publish returns, the next two throw NackError")
        func nacks() async throws { try await DeliveryScenarios.nackedPublishes(BlockingFace.self) }

        @Test("an unroutable mandatory publish reaches the return callback (312) during processDataEvents")
        func mandatoryReturn() async throws { try await DeliveryScenarios.mandatoryReturn(BlockingFace.self) }

        @Test("deleting a queue under a consumer reaches the cancel callback")
        func cancelOnQueueDelete() async throws { try await DeliveryScenarios.cancelOnQueueDelete(BlockingFace.self) }

        @Test("a 5 MB body round-trips", arguments: [UInt32(4096), 131_072])
        func largeBody(frameMax: UInt32) async throws {
            try await DeliveryScenarios.largeBody(BlockingFace.self, frameMax: frameMax)
        }
    }
}
