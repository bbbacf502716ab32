/// The SASL EXTERNAL mechanism: the broker authenticates the client by other means, usually the
/// client certificate of a TLS connection (Pika's `ExternalCredentials`).
public struct ExternalCredentials: AMQPCredentials, Hashable {
    /// Creates EXTERNAL credentials.
    public init() {}

    /// `"EXTERNAL"`.
    public var mechanism: String { "EXTERNAL" }

    /// An empty response.
    public func initialResponse() -> [UInt8] { [] }

    /// `ExternalCredentials()`.
    public var description: String { "ExternalCredentials()" }
}
