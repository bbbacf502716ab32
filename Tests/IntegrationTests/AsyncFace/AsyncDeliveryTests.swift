import Testing
import HareTestSupport

extension Integration {
    /// Confirms, returns, broker cancels and large bodies through the async face.
    @Suite("Async face: deliveries")
    struct AsyncDeliveryTests {
        @Test("confirm mode: 2000 publishes, every one acked once, multiple acks included")
        func confirms() async throws { try await DeliveryScenarios.confirmEveryPublish(AsyncFace.self) }

        @Test("confirm mode: a full queue with reject-publish nacks, the nack names the refused publishes")
        func nacks() async throws { try await DeliveryScenarios.nackedPublishes(AsyncFace.self) }

        @Test("an unroutable mandatory publish comes back through returnedMessages() (312)")
        func mandatoryReturn() async throws { try await DeliveryScenarios.mandatoryReturn(AsyncFace.self) }

        @Test("deleting a queue under a consumer ends the consumer with ConsumerCancelled")
        func cancelOnQueueDelete() async throws { try await DeliveryScenarios.cancelOnQueueDelete(AsyncFace.self) }

        @Test("a 5 MB body round-trips", arguments: [UInt32(4096), 131_072])
        func largeBody(frameMax: UInt32) async throws {
            try await DeliveryScenarios.largeBody(AsyncFace.self, frameMax: frameMax)
        }
    }
}
