import NIOCore
import NIOEmbedded
import Testing

@testable import Hare

/// The handle `BlockingConnection.callLater` returns.
@Suite("Blocking: BlockingTimeoutHandle")
struct BlockingTimeoutHandleTests {
    @Test("cancel marks the handle and cancels the loop timer")
    func cancelStopsTimer() {
        let loop = EmbeddedEventLoop()
        var fired = false
        let handle = BlockingTimeoutHandle()
        handle.scheduled = TimeoutHandle(scheduled: loop.scheduleTask(in: .seconds(1)) { fired = true })
        #expect(!handle.isCancelled)
        handle.cancel()
        #expect(handle.isCancelled)
        loop.advanceTime(by: .seconds(2))
        #expect(!fired, "the timer fired after removeTimeout")
    }

    @Test("without cancel the timer fires and the handle stays active")
    func timerFires() {
        let loop = EmbeddedEventLoop()
        var fired = false
        let handle = BlockingTimeoutHandle()
        handle.scheduled = TimeoutHandle(scheduled: loop.scheduleTask(in: .seconds(1)) { fired = true })
        loop.advanceTime(by: .seconds(2))
        #expect(fired)
        #expect(!handle.isCancelled)
    }

    @Test("cancel before the timer is set only marks the handle")
    func cancelWithoutTimer() {
        let handle = BlockingTimeoutHandle()
        handle.cancel()
        #expect(handle.isCancelled)
        handle.cancel()
        #expect(handle.isCancelled)
    }
}
