import NIOSSL

extension SSLOptions {
    /// The swift-nio-ssl client configuration for these options: the trust roots from `caFile`
    /// (else the system's), the client certificate chain and key, the verification mode and the
    /// minimum TLS version. The files are read now, so a missing or unreadable file is reported
    /// here as a `ParametersError` for `ssl_options` rather than during the handshake.
    func makeTLSConfiguration() throws(ParametersError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch minimumTLSVersion {
        case .tlsV1_2: configuration.minimumTLSVersion = .tlsv12
        case .tlsV1_3: configuration.minimumTLSVersion = .tlsv13
        }
        switch certificateVerification {
        case .fullVerification: configuration.certificateVerification = .fullVerification
        case .noHostnameVerification: configuration.certificateVerification = .noHostnameVerification
        case .insecureNoVerification: configuration.certificateVerification = .none
        }
        if let caFile {
            configuration.trustRoots = .certificates(try Self.certificates(in: caFile, what: "CA file"))
        }
        if let certificateFile {
            configuration.certificateChain = try Self.certificates(in: certificateFile, what: "certificate file").map {
                .certificate($0)
            }
            let keyFile = privateKeyFile ?? certificateFile
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            } catch {
                throw ParametersError(key: "ssl_options", reason: "cannot read a PEM private key from \(keyFile): \(error)")
            }
        } else if privateKeyFile != nil {
            throw ParametersError(key: "ssl_options", reason: "keyfile needs certfile (the client certificate)")
        }
        return configuration
    }

    /// The PEM certificates in `path`; at least one.
    private static func certificates(in path: String, what: String) throws(ParametersError) -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw ParametersError(key: "ssl_options", reason: "cannot read PEM certificates from the \(what) \(path): \(error)")
        }
        guard !certificates.isEmpty else {
            throw ParametersError(key: "ssl_options", reason: "the \(what) \(path) holds no PEM certificate")
        }
        return certificates
    }
}
