import AMQPProtocol

/// Publisher confirms and transactions (Pika's `confirm_delivery` and `tx_*`).
extension Channel {
    /// Turns on publisher confirms (confirm.select; Pika's `confirm_delivery`). From then on
    /// `publish(...)` waits for each message's confirm, `basicPublish` returns each message's
    /// sequence number, and `publisherConfirms()` streams every basic.ack / basic.nack.
    @discardableResult
    public func confirmSelect() async throws -> AMQP.Confirm.SelectOk {
        let state = state, events = confirmEvents
        return try await call { select, done in
            select.eventLoop.runOnLoop {
                state.value.confirmMode = true
                select.confirmDelivery(
                    ackNackCallback: { _, confirm in
                        state.value.confirmed(confirm)
                        events.send(confirm)
                    },
                    callback: done
                )
            }
        }
    }

    /// Starts transactions on the channel (tx.select).
    @discardableResult
    public func txSelect() async throws -> AMQP.Tx.SelectOk {
        try await call { select, done in select.txSelect(callback: done) }
    }

    /// Commits the current transaction (tx.commit).
    @discardableResult
    public func txCommit() async throws -> AMQP.Tx.CommitOk {
        try await call { select, done in select.txCommit(callback: done) }
    }

    /// Abandons the current transaction (tx.rollback).
    @discardableResult
    public func txRollback() async throws -> AMQP.Tx.RollbackOk {
        try await call { select, done in select.txRollback(callback: done) }
    }
}
