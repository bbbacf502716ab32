import HareTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The test certificates `scripts/tls-certs` makes and the broker's TLS listener uses
/// (`HARE_TLS_DIR`, default /tmp/hare-tls), and the listener's address.
enum TLSFiles {
    static var directory: String {
        getenv("HARE_TLS_DIR").map { String(cString: $0) } ?? "/tmp/hare-tls"
    }

    static var caFile: String { directory + "/ca.pem" }
    static var clientCertificate: String { directory + "/client.pem" }
    static var clientKey: String { directory + "/client.key" }
    static let port = 5671

    /// Whether the files exist (a missing file fails the test that needs it, with this hint).
    static var present: Bool { access(caFile, R_OK) == 0 && access(clientKey, R_OK) == 0 }
    static let missingHint = "the TLS test files are missing: run scripts/rabbitmq start (it runs scripts/tls-certs)"
}
