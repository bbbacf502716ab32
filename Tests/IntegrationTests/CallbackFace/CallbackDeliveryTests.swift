import Testing
import HareTestSupport

extension Integration {
    /// Confirms, returns, broker cancels and large bodies through the callback face.
    @Suite("Callback face: deliveries")
    struct CallbackDeliveryTests {
        @Test("confirm mode: 2000 publishes, every one acked once, multiple acks included")
        func confirms() async throws { try await DeliveryScenarios.confirmEveryPublish(CallbackFace.self) }

        @Test("confirm mode: a full queue with reject-publish nacks, the nack names the refused publishes")
        func nacks() async throws { try await DeliveryScenarios.nackedPublishes(CallbackFace.self) }

        @Test("an unroutable mandatory publish reaches the return callback (312)")
        func mandatoryReturn() async throws { try await DeliveryScenarios.mandatoryReturn(CallbackFace.self) }

        @Test("deleting a queue under a consumer reaches the cancel callback")
        func cancelOnQueueDelete() async throws { try await DeliveryScenarios.cancelOnQueueDelete(CallbackFace.self) }

        @Test("a 5 MB body round-trips", arguments: [UInt32(4096), 131_072])
        func largeBody(frameMax: UInt32) async throws {
            try await DeliveryScenarios.largeBody(CallbackFace.self, frameMax: frameMax)
        }
    }
}
