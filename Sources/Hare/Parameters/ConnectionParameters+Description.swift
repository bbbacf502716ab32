extension ConnectionParameters: CustomStringConvertible {
    /// Host, port, virtual host, TLS and credentials; the password is never shown.
    public var description: String {
        "ConnectionParameters(host: \(String(reflecting: host)), port: \(port), "
            + "virtualHost: \(String(reflecting: virtualHost)), tls: \(sslOptions != nil), credentials: \(credentials))"
    }
}
