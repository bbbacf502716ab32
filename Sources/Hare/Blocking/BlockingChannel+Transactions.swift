import AMQPProtocol

/// Transactions (Pika's `tx_*`), each waiting for the broker's reply.
extension BlockingChannel {
    /// Starts transactions on the channel (tx.select).
    @discardableResult
    public func txSelect() throws -> AMQP.Tx.SelectOk {
        try call("tx.select") { select, done in select.txSelect(callback: done) }
    }

    /// Commits the current transaction (tx.commit).
    @discardableResult
    public func txCommit() throws -> AMQP.Tx.CommitOk {
        try call("tx.commit") { select, done in select.txCommit(callback: done) }
    }

    /// Abandons the current transaction (tx.rollback).
    @discardableResult
    public func txRollback() throws -> AMQP.Tx.RollbackOk {
        try call("tx.rollback") { select, done in select.txRollback(callback: done) }
    }
}
