import AMQPProtocol
import Logging
import NIOCore

/// Opening and closing: the workflow's outcome and the handler's events, on the loop.
extension SelectConnection {
    func connect(_ candidates: [ConnectionParameters]) {
        let workflow = ConnectionWorkflow(candidates: candidates, eventLoop: ioloop.eventLoop, logger: logger) { [self] handler in
            handler.events.blocked = { [self] reason in
                for callback in onBlockedCallbacks { callback(self, AMQP.Connection.Blocked(reason: reason)) }
            }
            handler.events.unblocked = { [self] in
                for callback in onUnblockedCallbacks { callback(self, AMQP.Connection.Unblocked()) }
            }
            handler.events.closed = { [self] error in didClose(error) }
        }
        self.workflow = workflow
        workflow.run().assumeIsolatedUnsafeUnchecked().whenComplete { [self] result in
            self.workflow = nil
            switch result {
            case .success(let handler):
                didOpen(handler)
            case .failure(let error):
                status.withLock { $0 = .closed }
                logger.error("cannot open the connection", metadata: ["error": "\(error)"])
                for callback in onOpenErrorCallbacks { callback(self, error) }
                ioloop.connectionEnded()
            }
        }
    }

    private func didOpen(_ handler: AMQPConnectionHandler) {
        self.handler = handler
        negotiated.withLock { $0 = (handler.limits, handler.serverProperties) }
        status.withLock { $0 = .open }
        for callback in onOpenCallbacks { callback(self) }
    }

    private func didClose(_ error: any AMQPConnectionError) {
        status.withLock { $0 = .closed }
        handler = nil
        let open = channels
        channels.removeAll()
        _ = open  // channels were told by their own close events already
        for callback in onCloseCallbacks { callback(self, error) }
        ioloop.connectionEnded()
    }

    func channelDidClose(_ number: UInt16) {
        channels[number] = nil
    }
}
