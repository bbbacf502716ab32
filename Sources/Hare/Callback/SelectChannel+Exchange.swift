import AMQPProtocol

/// Exchanges: declare, delete, bind and unbind (Pika's `exchange_*`).
extension SelectChannel {
    /// Declares an exchange (exchange.declare).
    ///
    /// - Parameters:
    ///   - exchange: the exchange name.
    ///   - exchangeType: `direct`, `fanout`, `topic`, `headers` or a plugin's type.
    ///   - passive: only check that the exchange exists (404 closes the channel if not).
    ///   - durable: survive a broker restart.
    ///   - autoDelete: delete when the last binding is removed.
    ///   - internal: only other exchanges may publish to it.
    ///   - arguments: extra arguments (`alternate-exchange`, ...).
    ///   - noWait: do not wait for declare-ok (`callback` is then not called on success).
    ///   - callback: receives declare-ok, or why it never came.
    public func exchangeDeclare(
        exchange: String, exchangeType: String = "direct", passive: Bool = false, durable: Bool = false,
        autoDelete: Bool = false, internal: Bool = false, arguments: FieldTable = [:], noWait: Bool = false,
        callback: ((Result<AMQP.Exchange.DeclareOk, any Error>) -> Void)? = nil
    ) {
        let method = AMQP.Method.exchangeDeclare(AMQP.Exchange.Declare(
            exchange: exchange, type: exchangeType, passive: passive, durable: durable, autoDelete: autoDelete,
            internal: `internal`, noWait: noWait, arguments: arguments
        ))
        dispatch(method, noWait: noWait, as: AMQP.Exchange.DeclareOk.self, callback: callback)
    }

    /// Deletes an exchange (exchange.delete); with `ifUnused`, only when it has no bindings.
    public func exchangeDelete(
        exchange: String, ifUnused: Bool = false, noWait: Bool = false,
        callback: ((Result<AMQP.Exchange.DeleteOk, any Error>) -> Void)? = nil
    ) {
        let method = AMQP.Method.exchangeDelete(AMQP.Exchange.Delete(exchange: exchange, ifUnused: ifUnused, noWait: noWait))
        dispatch(method, noWait: noWait, as: AMQP.Exchange.DeleteOk.self, callback: callback)
    }

    /// Binds exchange `destination` to exchange `source` (exchange.bind, a RabbitMQ extension).
    public func exchangeBind(
        destination: String, source: String, routingKey: String = "", arguments: FieldTable = [:], noWait: Bool = false,
        callback: ((Result<AMQP.Exchange.BindOk, any Error>) -> Void)? = nil
    ) {
        let method = AMQP.Method.exchangeBind(AMQP.Exchange.Bind(
            destination: destination, source: source, routingKey: routingKey, noWait: noWait, arguments: arguments
        ))
        dispatch(method, noWait: noWait, as: AMQP.Exchange.BindOk.self, callback: callback)
    }

    /// Removes an exchange-to-exchange binding (exchange.unbind).
    public func exchangeUnbind(
        destination: String, source: String, routingKey: String = "", arguments: FieldTable = [:], noWait: Bool = false,
        callback: ((Result<AMQP.Exchange.UnbindOk, any Error>) -> Void)? = nil
    ) {
        let method = AMQP.Method.exchangeUnbind(AMQP.Exchange.Unbind(
            destination: destination, source: source, routingKey: routingKey, noWait: noWait, arguments: arguments
        ))
        dispatch(method, noWait: noWait, as: AMQP.Exchange.UnbindOk.self, callback: callback)
    }

    /// A synchronous method, or with `noWait` an asynchronous one whose errors go to `callback`.
    func dispatch<Reply: AMQPMethodProtocol>(
        _ method: AMQP.Method, noWait: Bool, as reply: Reply.Type, callback: ((Result<Reply, any Error>) -> Void)?
    ) {
        if noWait {
            sendNoWait(method, failure: callback.map { callback in { callback(.failure($0)) } })
        } else {
            call(method, as: reply, callback: callback)
        }
    }
}
