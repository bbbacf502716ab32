import AMQPProtocol
import Logging
import NIOCore
import Synchronization

/// Opening and closing: the workflow's outcome and the handler's events, on the loop.
extension SelectConnection {
    func connect(_ candidates: [ConnectionParameters]) {
        self.candidates = candidates
        let workflow = ConnectionWorkflow(candidates: candidates, eventLoop: ioloop.eventLoop, logger: logger) { [self] handler in
            wire(handler)
        }
        self.workflow = workflow
        workflow.run().assumeIsolatedUnsafeUnchecked().whenComplete { [self] result in
            self.workflow = nil
            switch result {
            case .success(let handler):
                didOpen(handler)
            case .failure(let error):
                status.set(.closed)
                logger.error("cannot open the connection", metadata: ["error": "\(error)"])
                for callback in onOpenErrorCallbacks { callback(self, error) }
                ioloop.connectionEnded()
            }
        }
    }

    /// Routes a new handler's events to this connection.
    func wire(_ handler: AMQPConnectionHandler) {
        handler.events.blocked = { [self] reason in
            for callback in onBlockedCallbacks { callback(self, AMQP.Connection.Blocked(reason: reason)) }
        }
        handler.events.unblocked = { [self] in
            for callback in onUnblockedCallbacks { callback(self, AMQP.Connection.Unblocked()) }
        }
        handler.events.closing = { [self] error in handlerClosing(error) }
        handler.events.closed = { [self] error in handlerClosed(error) }
    }

    private func didOpen(_ handler: AMQPConnectionHandler) {
        self.handler = handler
        negotiated.withLock { $0 = (handler.limits, handler.serverProperties) }
        status.set(.open)
        for callback in onOpenCallbacks { callback(self) }
    }

    /// The connection closed for good: every channel still waiting for a recovery closes too.
    func didClose(_ error: any AMQPConnectionError) {
        status.set(.closed)
        handler = nil
        let waiting = channels.sorted { $0.key < $1.key }.map(\.value)
        channels.removeAll()
        let channelError: any Error = if let byClient = error as? ConnectionClosedByClient {
            ChannelClosedByClient(replyCode: byClient.replyCode, replyText: byClient.replyText)
        } else {
            ChannelClosedByConnection(error)
        }
        // Channels of an open connection were told by their own close events already; those
        // that waited for a recovery learn it here.
        for channel in waiting where channel.status.current == .recovering {
            channel.recoveryEnded(channelError)
        }
        finishRecoveryWaiters(.failure(error))
        recoveryProgress = nil
        for callback in onCloseCallbacks { callback(self, error) }
        ioloop.connectionEnded()
    }

    func channelDidClose(_ number: UInt16) {
        channels[number] = nil
        topology.channelClosed(number)
    }
}
