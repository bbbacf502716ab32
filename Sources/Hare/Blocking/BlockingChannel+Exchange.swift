import AMQPProtocol

/// Exchanges: declare, delete, bind and unbind, each waiting for the broker's reply.
extension BlockingChannel {
    /// Declares an exchange (exchange.declare) and returns declare-ok.
    ///
    /// - Parameters:
    ///   - exchange: the exchange name.
    ///   - exchangeType: `direct`, `fanout`, `topic`, `headers` or a plugin's type.
    ///   - passive: only check that the exchange exists (404 closes the channel if not).
    ///   - durable: survive a broker restart.
    ///   - autoDelete: delete when the last binding is removed.
    ///   - internal: only other exchanges may publish to it.
    ///   - arguments: extra arguments (`alternate-exchange`, ...).
    @discardableResult
    public func exchangeDeclare(
        exchange: String, exchangeType: String = "direct", passive: Bool = false, durable: Bool = false,
        autoDelete: Bool = false, internal: Bool = false, arguments: FieldTable = [:]
    ) throws -> AMQP.Exchange.DeclareOk {
        try call("exchange.declare") { select, done in
            select.exchangeDeclare(
                exchange: exchange, exchangeType: exchangeType, passive: passive, durable: durable, autoDelete: autoDelete,
                internal: `internal`, arguments: arguments, callback: done
            )
        }
    }

    /// Deletes an exchange (exchange.delete); with `ifUnused`, only when it has no bindings.
    @discardableResult
    public func exchangeDelete(exchange: String, ifUnused: Bool = false) throws -> AMQP.Exchange.DeleteOk {
        try call("exchange.delete") { select, done in
            select.exchangeDelete(exchange: exchange, ifUnused: ifUnused, callback: done)
        }
    }

    /// Binds exchange `destination` to exchange `source` (exchange.bind, a RabbitMQ extension).
    @discardableResult
    public func exchangeBind(
        destination: String, source: String, routingKey: String = "", arguments: FieldTable = [:]
    ) throws -> AMQP.Exchange.BindOk {
        try call("exchange.bind") { select, done in
            select.exchangeBind(destination: destination, source: source, routingKey: routingKey, arguments: arguments, callback: done)
        }
    }

    /// Removes an exchange-to-exchange binding (exchange.unbind).
    @discardableResult
    public func exchangeUnbind(
        destination: String, source: String, routingKey: String = "", arguments: FieldTable = [:]
    ) throws -> AMQP.Exchange.UnbindOk {
        try call("exchange.unbind") { select, done in
            select.exchangeUnbind(destination: destination, source: source, routingKey: routingKey, arguments: arguments, callback: done)
        }
    }
}
