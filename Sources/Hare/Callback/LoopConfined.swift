import NIOCore

/// Carries a non-`Sendable` value to the event loop that owns it. Hare's face objects keep all
/// their mutable state on their connection's loop and only touch it there.
struct LoopConfined<Value>: @unchecked Sendable {
    let value: Value
}

extension EventLoop {
    /// Runs `body` now when on this loop, otherwise as soon as the loop gets to it. Order is
    /// kept for calls made from one thread.
    func runOnLoop(_ body: @escaping () -> Void) {
        if inEventLoop {
            body()
        } else {
            let box = LoopConfined(value: body)
            execute { box.value() }
        }
    }
}
