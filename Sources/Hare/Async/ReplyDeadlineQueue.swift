import NIOCore

/// The deadlines of many waits that started one after another on a loop, with one timer for all
/// of them: what lets a thousand `publish` calls wait for their confirms without a thousand
/// timers. A timer of its own per wait costs a scheduled task on the loop, taken and cancelled
/// under the loop's lock from the waiting task's thread, and a cancel searches the loop's timer
/// heap: with 1,000 confirms in flight that was most of a confirmed publish's CPU.
///
/// Waits are added in the order they start, with the same bound, so their expiries only grow:
/// the timer is set for the oldest one still pending, and settled waits are dropped from the
/// front as they end. Loop only.
final class ReplyDeadlineQueue {
    private var waits = CircularBuffer<(waiter: ReplyWaiter<Void>, expiry: NIODeadline, deadline: ReplyDeadline)>()
    private var timer: Scheduled<Void>?

    /// Fails `waiter` with `deadline`'s error once `deadline.seconds` have passed, unless it was
    /// settled first.
    func add(_ waiter: ReplyWaiter<Void>, _ deadline: ReplyDeadline) {
        let expiry = deadline.eventLoop.now + .nanoseconds(Int64((deadline.seconds * 1e9).rounded(.up)))
        waits.append((waiter, expiry, deadline))
        if timer == nil { schedule(deadline.eventLoop) }
    }

    /// Drops the settled waits at the front (call after settling some).
    func dropSettled() {
        while let first = waits.first, !first.waiter.isPending { waits.removeFirst() }
    }

    /// Forgets every wait (the waiters were settled otherwise).
    func removeAll() {
        waits.removeAll()
        timer?.cancel()
        timer = nil
    }

    private func schedule(_ eventLoop: any EventLoop) {
        dropSettled()
        guard let first = waits.first else { return }
        timer = eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: first.expiry) { [self] in
            timer = nil
            expire(eventLoop.now)
            schedule(eventLoop)
        }
    }

    private func expire(_ now: NIODeadline) {
        while let first = waits.first, first.expiry <= now || !first.waiter.isPending {
            waits.removeFirst()
            first.waiter.resolve(.failure(first.deadline.error))
        }
    }
}
