import AMQPProtocol

/// Publisher confirms and transactions (Pika's `confirm_delivery` and `tx_*`).
extension SelectChannel {
    /// Turns on publisher confirms (confirm.select). From then on every publish gets a sequence
    /// number (returned by `basicPublish`) and `ackNackCallback` receives each basic.ack /
    /// basic.nack with the sequence numbers it resolves.
    public func confirmDelivery(
        ackNackCallback: @escaping (SelectChannel, PublisherConfirm) -> Void,
        callback: ((Result<AMQP.Confirm.SelectOk, any Error>) -> Void)? = nil
    ) {
        eventLoop.runOnLoop { [self] in
            self.ackNackCallback = ackNackCallback
            call(.confirmSelect(AMQP.Confirm.Select(nowait: false)), as: AMQP.Confirm.SelectOk.self, callback: callback)
        }
    }

    /// Starts transactions on the channel (tx.select).
    public func txSelect(callback: ((Result<AMQP.Tx.SelectOk, any Error>) -> Void)? = nil) {
        call(.txSelect(AMQP.Tx.Select()), as: AMQP.Tx.SelectOk.self, callback: callback)
    }

    /// Commits the current transaction (tx.commit).
    public func txCommit(callback: ((Result<AMQP.Tx.CommitOk, any Error>) -> Void)? = nil) {
        call(.txCommit(AMQP.Tx.Commit()), as: AMQP.Tx.CommitOk.self, callback: callback)
    }

    /// Abandons the current transaction (tx.rollback).
    public func txRollback(callback: ((Result<AMQP.Tx.RollbackOk, any Error>) -> Void)? = nil) {
        call(.txRollback(AMQP.Tx.Rollback()), as: AMQP.Tx.RollbackOk.self, callback: callback)
    }
}
