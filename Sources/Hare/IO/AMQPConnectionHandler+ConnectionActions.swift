import AMQPProtocol
import Logging
import NIOCore

/// Performing the connection machine's actions.
extension AMQPConnectionHandler {
    func perform(_ action: ConnectionStateMachine.Action) {
        switch action {
        case .none:
            break
        case .sendProtocolHeader:
            writeProtocolHeader()
        case .send(let method):
            write(method: method, channel: 0)
        case .tuned(let limits, let tuneOk, let open):
            parser.maxFrameSize = limits.frameMax == 0 ? AMQPLimits.largestPossibleFrame : Int(limits.frameMax)
            write(method: .connectionTuneOk(tuneOk), channel: 0)
            write(method: .connectionOpen(open), channel: 0)
            startHeartbeat(limits.heartbeat)
        case .opened(let limits):
            logger.debug("connection open", metadata: [
                "channel_max": "\(limits.channelMax)", "frame_max": "\(limits.frameMax)", "heartbeat": "\(limits.heartbeat)",
            ])
            events.opened(limits)
        case .blocked(let reason):
            logger.info("the broker blocked the connection", metadata: ["reason": "\(reason)"])
            startBlockedTimer()
            events.blocked(reason)
        case .unblocked:
            logger.info("the broker unblocked the connection")
            blockedTimer?.cancel()
            blockedTimer = nil
            events.unblocked()
        case .updateSecretOk:
            if !updateSecretWaiters.isEmpty {
                updateSecretWaiters.removeFirst()(.success(()))
            }
        case .sendCloseOkAndShutdown(let error):
            write(method: .connectionCloseOk(AMQP.Connection.CloseOk()), channel: 0)
            shutdown(error)
        case .sendClose(let close):
            write(method: .connectionClose(close), channel: 0)
            startCloseTimer()
        case .sendCloseAndShutdown(let close, let error):
            write(method: .connectionClose(close), channel: 0)
            shutdown(error)
        case .shutdown(let error):
            shutdown(error)
        }
    }

    /// Ends the connection: fails every channel and waiter, stops the timers, flushes what is
    /// written and closes the socket, then tells the face.
    func shutdown(_ error: any AMQPConnectionError) {
        guard finalError == nil else { return }
        finalError = error
        events.closing(error)
        heartbeatTask?.cancel()
        heartbeatTask = nil
        blockedTimer?.cancel()
        blockedTimer = nil
        stopCoalescing()
        closeTimer?.cancel()
        closeTimer = nil
        inbound = nil
        readsWhileDecoding.removeAll()
        let channelError: any Error = if let byClient = error as? ConnectionClosedByClient {
            ChannelClosedByClient(replyCode: byClient.replyCode, replyText: byClient.replyText)
        } else {
            ChannelClosedByConnection(error)
        }
        let slots = channels.sorted { $0.key < $1.key }
        channels.removeAll()
        for (number, slot) in slots {
            perform(slot.machine.connectionClosed(channelError), on: number, slot: slot)
        }
        let waiters = updateSecretWaiters
        updateSecretWaiters.removeAll()
        for waiter in waiters { waiter(.failure(error)) }
        failWriteWaiters(error)
        if let context {
            flushNow()
            context.close(promise: nil)
        }
        logger.debug("connection closed", metadata: ["reason": "\(error)"])
        let closed = events.closed
        events = Events()  // the closures hold the face and the attempt: let them go
        closed(error)
    }
}
