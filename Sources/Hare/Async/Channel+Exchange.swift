import AMQPProtocol

/// Exchanges: declare, delete, bind and unbind (Pika's `exchange_*`, without `no_wait`: every
/// call waits for the broker's reply).
extension Channel {
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
    ) async throws -> AMQP.Exchange.DeclareOk {
        try await call { select, done in
            select.exchangeDeclare(
                exchange: exchange, exchangeType: exchangeType, passive: passive, durable: durable, autoDelete: autoDelete,
                internal: `internal`, arguments: arguments, callback: done
            )
        }
    }

    /// Deletes an exchange (exchange.delete); with `ifUnused`, only when it has no bindings.
    @discardableResult
    public func exchangeDelete(exchange: String, ifUnused: Bool = false) async throws -> AMQP.Exchange.DeleteOk {
        try await call { select, done in select.exchangeDelete(exchange: exchange, ifUnused: ifUnused, callback: done) }
    }

    /// Binds exchange `destination` to exchange `source` (exchange.bind, a RabbitMQ extension).
    @discardableResult
    public func exchangeBind(
        destination: String, source: String, routingKey: String = "", arguments: FieldTable = [:]
    ) async throws -> AMQP.Exchange.BindOk {
        try await call { select, done in
            select.exchangeBind(destination: destination, source: source, routingKey: routingKey, arguments: arguments, callback: done)
        }
    }

    /// Removes an exchange-to-exchange binding (exchange.unbind).
    @discardableResult
    public func exchangeUnbind(
        destination: String, source: String, routingKey: String = "", arguments: FieldTable = [:]
    ) async throws -> AMQP.Exchange.UnbindOk {
        try await call { select, done in
            select.exchangeUnbind(destination: destination, source: source, routingKey: routingKey, arguments: arguments, callback: done)
        }
    }
}
