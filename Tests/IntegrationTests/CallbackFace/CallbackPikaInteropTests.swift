import Testing
import HareTestSupport

extension Integration {
    /// Interop with Pika (scripts/pika-peer.py) through the callback face.
    @Suite("Callback face: interop with Pika")
    struct CallbackPikaInteropTests {
        @Test("Pika publishes every property and field type; Hare reads each value")
        func pikaToHare() async throws { try await PikaInteropScenarios.pikaToHare(CallbackFace.self) }

        @Test("Hare publishes every property and field value; Pika reads each value")
        func hareToPika() async throws { try await PikaInteropScenarios.hareToPika(CallbackFace.self) }
    }
}
