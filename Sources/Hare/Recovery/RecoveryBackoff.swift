/// The delays between reconnection attempts: exponential from `initialDelay` up to `maxDelay`,
/// each spread by the jitter. Pure arithmetic; the random draw is passed in.
struct RecoveryBackoff: Sendable {
    var initialDelay: Double
    var maxDelay: Double
    var multiplier: Double
    var jitter: Double

    init(_ options: RecoveryOptions) {
        initialDelay = Self.seconds(options.initialDelay)
        maxDelay = Swift.max(initialDelay, Self.seconds(options.maxDelay))
        multiplier = options.multiplier.isFinite ? Swift.max(1, options.multiplier) : 2
        jitter = options.jitter.isFinite ? Swift.min(1, Swift.max(0, options.jitter)) : 0
    }

    /// A delay option as a usable number of seconds: not negative, NaN as 0, at most a day.
    private static func seconds(_ value: Double) -> Double {
        value.isNaN ? 0 : Swift.min(86_400, Swift.max(0, value))
    }

    /// The delay before attempt `attempt` (1 is the first), in seconds; `random` is uniform in
    /// 0...1 and picks the point within the jitter's spread.
    func delay(beforeAttempt attempt: Int, random: Double) -> Double {
        var base = initialDelay
        var step = 1
        while step < attempt, base > 0, base < maxDelay {
            base *= multiplier
            step += 1
        }
        base = Swift.min(base, maxDelay)
        let spread = base * jitter * (Swift.min(1, Swift.max(0, random)) * 2 - 1)
        return Swift.max(0, base + spread)
    }
}

/// Whether losing a connection with `error` starts a recovery: I/O errors, missed heartbeats
/// and a broker close with 320 CONNECTION_FORCED do; an application close, a protocol
/// violation or any other broker close (an authentication failure, 530 NOT_ALLOWED, ...) do not.
func connectionLossIsRecoverable(_ error: any Error) -> Bool {
    switch error {
    case is StreamLostError, is AMQPHeartbeatTimeout:
        return true
    case let closed as ConnectionClosedByBroker:
        return closed.replyCode == 320
    default:
        return false
    }
}
