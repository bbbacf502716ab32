import AMQPProtocol
import NIOCore

/// Performing a channel machine's actions.
extension AMQPConnectionHandler {
    /// Performs what a channel machine asked for. Two of a delivery's three frames (its method
    /// and header frames) ask for nothing: that answer is checked inline, where the frame was
    /// routed, and costs neither the call nor the destroy of the 136-byte action that
    /// `performAction` pays. (`performAction` keeps a `.none` case only because its switch
    /// must be exhaustive.)
    @inline(__always)
    func perform(_ action: consuming ChannelStateMachine<RPCCompletion>.Action, on number: UInt16, slot: ChannelSlot) {
        if case .none = action { return }
        performAction(action, on: number, slot: slot)
    }

    private func performAction(_ action: consuming ChannelStateMachine<RPCCompletion>.Action, on number: UInt16, slot: ChannelSlot) {
        switch consume action {
        case .none:
            break
        case .send(let method):
            write(method: method, channel: number)
        case .succeed(let completion, let reply):
            completion(.success(reply))
            drain(number, slot: slot)
        case .fail(let completion, let error):
            completion(.failure(error))
        case .deliver(let message):
            slot.deliver(message, on: number)
        case .unexpectedDelivery(let message, let autoAck):
            guard case .deliver(let deliver) = message.method else { break }
            dropDelivery(deliver, autoAck: autoAck, on: number, slot: slot)
        case .returned(let message):
            slot.delegate.channel(number, didReturn: message)
        case .confirm(let confirm):
            slot.delegate.channel(number, didConfirm: confirm)
        case .consumerCancelledByBroker(let consumerTag, let sendCancelOk):
            if sendCancelOk {
                write(method: .basicCancelOk(AMQP.Basic.CancelOk(consumerTag: consumerTag)), channel: number)
            }
            slot.delegate.channel(number, consumerCancelledByBroker: consumerTag)
        case .flow(let active):
            write(method: .channelFlowOk(AMQP.Channel.FlowOk(active: active)), channel: number)
            slot.delegate.channel(number, flowActive: active)
        case .closing(let close, let failed, let error):
            write(method: .channelClose(close), channel: number)
            for completion in failed { completion(.failure(error)) }
        case .closed(let error, let failed, let consumers, let unconfirmed, let sendCloseOk, let closeWaiter):
            if sendCloseOk {
                write(method: .channelCloseOk(AMQP.Channel.CloseOk()), channel: number)
            }
            if channels[number] === slot { channels[number] = nil }
            for completion in failed { completion(.failure(error)) }
            slot.delegate.channel(
                number, didCloseWith: error, consumers: consumers, unconfirmed: unconfirmed, continuation: slot.machine.continuation
            )
            closeWaiter?(.success(.method(.channelCloseOk(AMQP.Channel.CloseOk()))))
        case .connectionError(let code, let reason):
            logger.error("protocol violation on channel \(number): \(reason)")
            perform(machine.protocolViolation(code: code, reason: reason))
        }
    }

    /// A delivery no consumer takes. One for a consumer cancelled without waiting, which
    /// acked manually (`autoAck` false), is requeued for another consumer rather than left
    /// unacknowledged; one for a consumer never known (`autoAck` nil) is dropped with a warning.
    func dropDelivery(_ deliver: borrowing AMQP.Basic.Deliver, autoAck: Bool?, on number: UInt16, slot: ChannelSlot) {
        if autoAck == false {
            logger.debug("requeueing a delivery for cancelled consumer '\(deliver.consumerTag)' on channel \(number)")
            let reject = AMQP.Method.basicReject(AMQP.Basic.Reject(deliveryTag: deliver.deliveryTag, requeue: true))
            if case .success(let wire?) = slot.machine.acknowledge(reject) { write(method: wire, channel: number) }
        } else if autoAck == nil {
            logger.warning("a delivery for unknown consumer '\(deliver.consumerTag)' on channel \(number) is dropped")
        }
    }

    /// Sends what waited behind a completed request, up to the next request.
    func drain(_ number: UInt16, slot: ChannelSlot) {
        // After connection.close nothing but close-ok may go out; the close fails what waits.
        guard machine.isOpen else { return }
        while let next = slot.machine.nextOutbound() {
            switch next {
            case .method(let method): write(method: method, channel: number)
            case .publish(let request): write(publish: request, channel: number)
            }
        }
    }
}
