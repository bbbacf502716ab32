import Hare
import Testing
import HareTestSupport

extension Integration {
    /// TLS through swift-nio-ssl against the broker's TLS listener (127.0.0.1:5671, certificates
    /// from scripts/tls-certs): verification on by default, a CA file, hostname checks, the
    /// explicit opt-out, and EXTERNAL with a client certificate.
    @Suite("TLS")
    struct TLSTests {
        func tlsParameters(
            host: String = "localhost", _ change: (inout SSLOptions) -> Void = { _ in }
        ) throws -> ConnectionParameters {
            try #require(TLSFiles.present, Comment(rawValue: TLSFiles.missingHint))
            var ssl = SSLOptions(caFile: TLSFiles.caFile)
            change(&ssl)
            return try Broker.parameters {
                $0.host = host
                $0.port = TLSFiles.port
                $0.sslOptions = ssl
            }
        }

        /// Opens, runs one RPC and closes; returns the close reason.
        func roundTrip(_ parameters: ConnectionParameters) async throws {
            let connection = try await CallbackConnection.open(parameters)
            do {
                let channel = try await connection.openChannel()
                let declared = try await channel.queueDeclare("", passive: false, durable: false, exclusive: true, autoDelete: true, arguments: [:])
                #expect(declared.queue.hasPrefix("amq.gen-"))
                let reason = try await connection.close()
                #expect(reason is ConnectionClosedByClient)
            } catch {
                await connection.shutdown()
                throw error
            }
            await connection.shutdown()
        }

        @Test("amqps with the test CA verifies the broker and works")
        func verifiedConnection() async throws {
            try await roundTrip(try tlsParameters())
        }

        @Test("verification is on by default: without the CA the broker's certificate is refused")
        func untrustedBroker() async throws {
            let parameters = try tlsParameters { $0.caFile = nil }
            #expect(parameters.sslOptions?.certificateVerification == .fullVerification)
            await #expect(throws: TLSError.self) {
                _ = try await CallbackConnection.open(parameters)
            }
        }

        @Test("the certificate must name the host: a wrong server name is refused")
        func wrongHostname() async throws {
            let parameters = try tlsParameters { $0.serverHostname = "not-the-broker.invalid" }
            await #expect(throws: TLSError.self) {
                _ = try await CallbackConnection.open(parameters)
            }
        }

        @Test("without the hostname check a wrong name is accepted, the chain still checked")
        func noHostnameVerification() async throws {
            try await roundTrip(try tlsParameters {
                $0.serverHostname = "not-the-broker.invalid"
                $0.certificateVerification = .noHostnameVerification
            })
        }

        @Test("turning verification off is explicit and then connects to an untrusted broker")
        func insecureNoVerification() async throws {
            try await roundTrip(try tlsParameters {
                $0.caFile = nil
                $0.certificateVerification = .insecureNoVerification
            })
        }

        @Test("by IP address, the certificate must name that address: the broker's names only localhost")
        func ipAddressHostIsVerified() async throws {
            await #expect(throws: TLSError.self) {
                _ = try await CallbackConnection.open(try tlsParameters(host: "127.0.0.1"))
            }
        }

        @Test("by IP address with server_hostname, the certificate is checked against that name")
        func ipAddressWithServerHostname() async throws {
            try await roundTrip(try tlsParameters(host: "127.0.0.1") { $0.serverHostname = "localhost" })
        }

        @Test("EXTERNAL logs in with a client certificate (common name guest)")
        func externalAuthentication() async throws {
            var parameters = try tlsParameters {
                $0.certificateFile = TLSFiles.clientCertificate
                $0.privateKeyFile = TLSFiles.clientKey
            }
            parameters.credentials = ExternalCredentials()
            try await roundTrip(parameters)
        }

        @Test("EXTERNAL without a client certificate is refused")
        func externalWithoutCertificate() async throws {
            var parameters = try tlsParameters()
            parameters.credentials = ExternalCredentials()
            await #expect(throws: (any Error).self) {
                _ = try await CallbackConnection.open(parameters)
            }
        }

        @Test("amqps URL with ssl_options in JSON connects")
        func amqpsURL() async throws {
            try #require(TLSFiles.present, Comment(rawValue: TLSFiles.missingHint))
            let url = "amqps://guest:guest@localhost:5671/?ssl_options=%7B%22ca_certs%22%3A%22\(TLSFiles.caFile)%22%7D"
            var parameters = try URLParameters(url).connectionParameters
            parameters.socketTimeout = 5
            parameters.stackTimeout = 10
            try await roundTrip(parameters)
        }
    }
}
