/// TLS settings for a connection (`amqps`); peer and host name verification are on unless
/// explicitly turned off.
///
/// A connection with `sslOptions` set speaks TLS (1.2 or later by default), sends the host (or
/// `serverHostname`) as SNI and checks the broker's certificate against it.
public struct SSLOptions: Sendable, Hashable {
    /// How much of the broker's certificate is checked.
    public enum CertificateVerification: Sendable, Hashable {
        /// The certificate chain must lead to a trusted root and name the host (the default).
        case fullVerification
        /// The certificate chain must lead to a trusted root; the name in it is not checked.
        case noHostnameVerification
        /// Nothing is checked: anyone on the path can read and change the traffic. For tests only;
        /// Hare logs a warning when it connects like this.
        case insecureNoVerification
    }

    /// The oldest TLS version the connection accepts.
    public enum TLSVersion: Sendable, Hashable {
        /// TLS 1.2 (the default).
        case tlsV1_2
        /// TLS 1.3.
        case tlsV1_3
    }

    /// A PEM file of the certificate authorities to trust; nil trusts the system's roots.
    public var caFile: String?
    /// A PEM file holding the client certificate (chain), for example for `ExternalCredentials`.
    public var certificateFile: String?
    /// A PEM file holding the client certificate's private key; nil reads it from
    /// `certificateFile`.
    public var privateKeyFile: String?
    /// The name sent as SNI and checked in the certificate; nil uses the host connected to.
    public var serverHostname: String?
    /// How much of the broker's certificate is checked.
    public var certificateVerification: CertificateVerification
    /// The oldest TLS version accepted.
    public var minimumTLSVersion: TLSVersion

    /// Creates TLS options; the defaults verify the broker fully against the system's roots.
    public init(
        caFile: String? = nil,
        certificateFile: String? = nil,
        privateKeyFile: String? = nil,
        serverHostname: String? = nil,
        certificateVerification: CertificateVerification = .fullVerification,
        minimumTLSVersion: TLSVersion = .tlsV1_2
    ) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.serverHostname = serverHostname
        self.certificateVerification = certificateVerification
        self.minimumTLSVersion = minimumTLSVersion
    }

    /// The name to send as SNI when connecting to `host`: `serverHostname` if set, else the host,
    /// except that an IP address is never sent (SNI carries names only).
    func sniHostname(connectingTo host: String) -> String? {
        let name = serverHostname ?? host
        return name.isEmpty || Self.isIPAddress(name) ? nil : name
    }

    /// Whether `text` is an IPv4 address in dotted decimal form or an IPv6 address (it has a colon).
    static func isIPAddress(_ text: String) -> Bool {
        if text.contains(":") { return true }
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            (1...3).contains(part.count) && part.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
                && part.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) } <= 255
        }
    }
}
