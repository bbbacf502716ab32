import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Receive coalescing (`ReceiveCoalescer`): the socket option and the tick.
extension AMQPConnectionHandler {
    /// Whether this system wakes a reader when its receive low watermark is lowered below what
    /// is already queued: Linux does from 4.18 on (`tcp_set_rcvlowat`). Elsewhere, and on older
    /// kernels, letting go could leave bytes unread until more arrive, so coalescing stays off.
    static let systemSupportsReceiveCoalescing: Bool = {
        #if os(Linux)
        var names = utsname()
        guard uname(&names) == 0 else { return false }
        let release = withUnsafeBytes(of: &names.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return false }
        return (numbers[0], numbers[1]) >= (4, 18)
        #else
        return false
        #endif
    }()

    /// Tells the coalescer about a read of `count` bytes that completed `messages` frames or
    /// whole deliveries, and does what it answers.
    @inline(__always)
    func coalesceAfterRead(_ count: Int, messages: Int) {
        guard receiveCoalescer.bytes > 0, !hasEnded else { return }
        apply(receiveCoalescer.read(count, messages: messages))
    }

    private func apply(_ action: ReceiveCoalescer.Action) {
        switch action {
        case .none:
            break
        case .engage(let lowWatermark):
            guard setReceiveLowWatermark(lowWatermark), coalescingTick == nil else { return }
            scheduleCoalescingTick()
        case .letGo:
            coalescingTick = nil
            _ = setReceiveLowWatermark(1)
        }
    }

    /// Sets SO_RCVLOWAT. A socket that refuses it (not a TCP socket: tests' embedded channels)
    /// turns coalescing off for the connection, after a last try to put the watermark back.
    private func setReceiveLowWatermark(_ bytes: Int) -> Bool {
        let option = ChannelOptions.Types.SocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SO_RCVLOWAT)
        do {
            guard let options = context?.channel.syncOptions else { throw ChannelError.operationUnsupported }
            try options.setOption(option, value: SocketOptionValue(clamping: bytes))
            return true
        } catch {
            logger.debug("receive coalescing is off for this connection: SO_RCVLOWAT was refused (\(error))")
            let wasRaised = receiveCoalescer.isEngaged && bytes != 1
            receiveCoalescer.unsupported()
            coalescingTick?.cancel()
            coalescingTick = nil
            if wasRaised { try? context?.channel.syncOptions?.setOption(option, value: 1) }
            return false
        }
    }

    private func scheduleCoalescingTick() {
        guard let context else {
            coalescingTick = nil
            return
        }
        coalescingTick = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: receiveCoalescingDelay) { [self] in
            guard finalError == nil else { return }
            let action = receiveCoalescer.tick()
            if action == .none, receiveCoalescer.isEngaged {
                scheduleCoalescingTick()
            } else {
                coalescingTick = nil
                apply(action)
            }
        }
    }

    /// Stops the tick (the connection ends, or the handler leaves the pipeline).
    func stopCoalescing() {
        coalescingTick?.cancel()
        coalescingTick = nil
    }
}
