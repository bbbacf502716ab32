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
            handoff.enterConfirmMode()  // from now on a publish gets a sequence number
            call(.confirmSelect(AMQP.Confirm.Select(nowait: false)), as: AMQP.Confirm.SelectOk.self, callback: callback)
            // With confirm.select on its way, the channel numbers publishes; a publish handed
            // over from now on learns its number from the handoff, without waiting.
            if let next = connection.handler?.nextPublishSequenceNumber(channel: channelNumber) {
                handoff.startNumbering(at: next)
            }
        }
    }

    /// Starts transactions on the channel (tx.select).
    public func txSelect(callback: ((Result<AMQP.Tx.SelectOk, any Error>) -> Void)? = nil) {
        call(.txSelect(AMQP.Tx.Select()), as: AMQP.Tx.SelectOk.self, callback: callback)
    }

    /// Commits the current transaction (tx.commit). After a recovery that interrupted the
    /// transaction, the first commit fails with `TransactionLost` instead (and rolls back what
    /// came after the recovery): the work before the loss is gone.
    public func txCommit(callback: ((Result<AMQP.Tx.CommitOk, any Error>) -> Void)? = nil) {
        eventLoop.runOnLoop { [self] in
            guard transactionLost, !awaitsRecovery else {
                call(.txCommit(AMQP.Tx.Commit()), as: AMQP.Tx.CommitOk.self, callback: callback)
                return
            }
            // The work before the loss is gone: roll back what came after it rather than
            // commit half a transaction.
            transactionLost = false
            call(.txRollback(AMQP.Tx.Rollback()), as: AMQP.Tx.RollbackOk.self) { result in
                callback?(.failure(TransactionLost(rolledBack: (try? result.get()) != nil)))
            }
        }
    }

    /// Abandons the current transaction (tx.rollback).
    public func txRollback(callback: ((Result<AMQP.Tx.RollbackOk, any Error>) -> Void)? = nil) {
        eventLoop.runOnLoop { [self] in
            if !awaitsRecovery { transactionLost = false }
            call(.txRollback(AMQP.Tx.Rollback()), as: AMQP.Tx.RollbackOk.self, callback: callback)
        }
    }
}
