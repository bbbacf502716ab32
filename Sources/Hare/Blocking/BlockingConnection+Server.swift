import AMQPProtocol

/// What the broker said about itself in connection.start (Pika's `server_properties` and the
/// `*_supported` capability properties).
extension BlockingConnection {
    /// The broker's properties from connection.start (product, version, platform,
    /// capabilities, ...); empty until the connection opened.
    public var serverProperties: FieldTable { selectConnection.serverProperties }

    /// Whether the broker supports basic.nack (its `basic.nack` capability).
    public var basicNackSupported: Bool { serverCapability("basic.nack") }

    /// Whether the broker tells consumers it cancels (basic.cancel from the broker; its
    /// `consumer_cancel_notify` capability).
    public var consumerCancelNotifySupported: Bool { serverCapability("consumer_cancel_notify") }

    /// Whether the broker supports exchange-to-exchange bindings (exchange.bind; its
    /// `exchange_exchange_bindings` capability).
    public var exchangeExchangeBindingsSupported: Bool { serverCapability("exchange_exchange_bindings") }

    /// Whether the broker supports publisher confirms (confirm.select; its
    /// `publisher_confirms` capability).
    public var publisherConfirmsSupported: Bool { serverCapability("publisher_confirms") }

    /// Whether the `capabilities` table of the server properties holds `name` as true; false
    /// when it is missing or not a boolean.
    func serverCapability(_ name: String) -> Bool {
        Self.capability(name, in: serverProperties)
    }

    /// Whether `properties`' `capabilities` table holds `name` as true.
    static func capability(_ name: String, in properties: FieldTable) -> Bool {
        guard case .table(let capabilities)? = properties["capabilities"],
            case .boolean(let supported)? = capabilities[name]
        else { return false }
        return supported
    }
}
