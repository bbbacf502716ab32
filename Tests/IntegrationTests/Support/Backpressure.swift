import HareTestSupport
import Testing

/// Checks write backpressure while the broker reads nothing: after `seconds`, fewer than `total`
/// publishes were handed over (the socket's and the broker's buffers hold a few MiB, the rest
/// waits), less than 30 MiB of them, and none more during one further second.
func expectPublishingStalls(_ handedOver: Locked<Int>, of total: Int, bytesEach size: Int, after seconds: Double) async throws {
    try await pause(seconds)
    let stalled = handedOver.value
    try await pause(1)
    #expect(stalled < total, "all \(total) publishes were handed over while the broker read nothing")
    #expect(stalled * size < 30 * 1024 * 1024, "\(stalled) publishes of \(size) bytes were buffered")
    #expect(handedOver.value == stalled, "publishes went on while the broker read nothing")
}
