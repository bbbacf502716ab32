import NIOCore

/// How long an async call waits for the broker before it throws `RPCTimeoutError`, and the loop
/// whose timer ends the wait.
struct ReplyDeadline: Sendable {
    let eventLoop: any EventLoop
    let seconds: Double
    let operation: String

    /// The error the call throws when the bound passes.
    var error: RPCTimeoutError { RPCTimeoutError(operation: operation, seconds: seconds) }

    /// Runs `expired` on the loop once the bound has passed; cancel the task when the wait ends
    /// first.
    func schedule(_ expired: @escaping @Sendable () -> Void) -> Scheduled<Void> {
        eventLoop.scheduleTask(in: .nanoseconds(Int64((seconds * 1e9).rounded(.up)))) { expired() }
    }

    /// A deadline for `operation` when `seconds` is set (nil: wait without limit). A function
    /// name (`queueDeclare(queue:passive:...)`) is shortened to its base name.
    static func bound(_ seconds: Double?, on eventLoop: any EventLoop, operation: String) -> ReplyDeadline? {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return nil }
        let name = operation.split(separator: "(", maxSplits: 1).first.map(String.init) ?? operation
        return ReplyDeadline(eventLoop: eventLoop, seconds: Swift.min(seconds, 1e9), operation: name)
    }
}
