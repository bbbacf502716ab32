/// Credentials that answer the broker's SASL challenge in connection.start-ok (Pika's
/// `pika.credentials`).
///
/// A conforming type's `description` must never contain a secret: Hare prints credentials in
/// descriptions, log lines and errors through it.
public protocol AMQPCredentials: Sendable, CustomStringConvertible {
    /// The SASL mechanism name sent in start-ok, for example `"PLAIN"` or `"EXTERNAL"`.
    var mechanism: String { get }

    /// The SASL initial response sent in start-ok.
    func initialResponse() -> [UInt8]
}
