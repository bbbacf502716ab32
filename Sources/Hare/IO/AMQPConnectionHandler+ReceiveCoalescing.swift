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
    /// Tells the coalescer about a read of `count` bytes and does what it answers.
    @inline(__always)
    func coalesceAfterRead(_ count: Int) {
        guard receiveCoalescer.bytes > 0 else { return }
        apply(receiveCoalescer.read(count))
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

    /// Sets SO_RCVLOWAT; a socket that refuses it (not a TCP socket: tests' embedded channels)
    /// turns coalescing off for the connection.
    private func setReceiveLowWatermark(_ bytes: Int) -> Bool {
        do {
            guard let options = context?.channel.syncOptions else { throw ChannelError.operationUnsupported }
            let option = ChannelOptions.Types.SocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SO_RCVLOWAT)
            try options.setOption(option, value: SocketOptionValue(clamping: bytes))
            return true
        } catch {
            logger.debug("receive coalescing is off for this connection: SO_RCVLOWAT was refused (\(error))")
            receiveCoalescer.unsupported()
            coalescingTick?.cancel()
            coalescingTick = nil
            return false
        }
    }

    private func scheduleCoalescingTick() {
        guard let context else { return }
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
}
