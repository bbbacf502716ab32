import Testing

@testable import Hare

@Suite("Recovery: backoff and what starts a recovery")
struct RecoveryBackoffTests {
    @Test("delays grow by the multiplier up to the maximum; the middle of the jitter is the base")
    func growth() {
        let backoff = RecoveryBackoff(RecoveryOptions(initialDelay: 0.5, maxDelay: 10, multiplier: 2, jitter: 0.2))
        let delays = (1...8).map { backoff.delay(beforeAttempt: $0, random: 0.5) }
        #expect(delays == [0.5, 1, 2, 4, 8, 10, 10, 10])
    }

    @Test("jitter spreads a delay by at most its fraction, both ways")
    func jitter() {
        let backoff = RecoveryBackoff(RecoveryOptions(initialDelay: 1, maxDelay: 1, multiplier: 2, jitter: 0.25))
        #expect(backoff.delay(beforeAttempt: 3, random: 0) == 0.75)
        #expect(backoff.delay(beforeAttempt: 3, random: 1) == 1.25)
        // Out-of-range draws are clamped rather than trusted.
        #expect(backoff.delay(beforeAttempt: 3, random: 7) == 1.25)
        #expect(backoff.delay(beforeAttempt: 3, random: -3) == 0.75)
    }

    @Test("nonsense options are clamped: no negative delay, no shrinking, no endless loop")
    func clamped() {
        let backoff = RecoveryBackoff(RecoveryOptions(initialDelay: -1, maxDelay: -5, multiplier: 0.1, jitter: 9))
        #expect(backoff.delay(beforeAttempt: 1, random: 0.5) == 0)
        #expect(backoff.delay(beforeAttempt: Int.max, random: 1) == 0)
        let huge = RecoveryBackoff(RecoveryOptions(initialDelay: 1, maxDelay: 30, multiplier: 1000, jitter: 0))
        #expect(huge.delay(beforeAttempt: 1_000_000, random: 0.5) == 30)
        let zero = RecoveryBackoff(RecoveryOptions(initialDelay: 0, maxDelay: 10, multiplier: 2, jitter: 0))
        #expect(zero.delay(beforeAttempt: Int.max, random: 0.5) == 0)
        let odd = RecoveryBackoff(RecoveryOptions(initialDelay: .nan, maxDelay: .infinity, multiplier: .nan, jitter: .infinity))
        #expect(odd.delay(beforeAttempt: 1, random: 0.5) == 0)
        let endless = RecoveryBackoff(RecoveryOptions(initialDelay: .infinity, maxDelay: .infinity, multiplier: 2, jitter: 0.2))
        let day = endless.delay(beforeAttempt: 3, random: 0.5)
        #expect(day.isFinite && day == 86_400)
    }

    @Test("I/O errors, missed heartbeats and 320 start a recovery; nothing else does")
    func triggers() {
        #expect(connectionLossIsRecoverable(StreamLostError(reason: "reset")))
        #expect(connectionLossIsRecoverable(AMQPHeartbeatTimeout(interval: 1)))
        #expect(connectionLossIsRecoverable(ConnectionClosedByBroker(replyCode: 320, replyText: "CONNECTION_FORCED")))
        #expect(!connectionLossIsRecoverable(ConnectionClosedByBroker(replyCode: 530, replyText: "NOT_ALLOWED")))
        #expect(!connectionLossIsRecoverable(ConnectionClosedByClient(replyCode: 200, replyText: "bye")))
        #expect(!connectionLossIsRecoverable(ProtocolViolationError(reason: "garbage")))
        #expect(!connectionLossIsRecoverable(ProbableAuthenticationError(reason: "refused")))
        #expect(!connectionLossIsRecoverable(ConnectionBlockedTimeout(timeout: 5)))
    }
}
