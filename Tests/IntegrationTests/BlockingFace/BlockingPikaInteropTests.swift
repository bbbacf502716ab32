import Testing
import HareTestSupport

extension Integration {
    /// Interop with Pika (scripts/pika-peer.py) through the blocking face.
    @Suite("Blocking face: interop with Pika")
    struct BlockingPikaInteropTests {
        @Test("Pika publishes every property and field type; Hare reads each value")
        func pikaToHare() async throws { try await PikaInteropScenarios.pikaToHare(BlockingFace.self) }

        @Test("Hare publishes every property and field value; Pika reads each value")
        func hareToPika() async throws { try await PikaInteropScenarios.hareToPika(BlockingFace.self) }
    }
}
