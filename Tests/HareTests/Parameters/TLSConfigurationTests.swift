import Foundation
import NIOSSL
import Testing

@testable import Hare

/// SSLOptions mapped to swift-nio-ssl's TLSConfiguration, with PEM files made by `openssl` when
/// it is installed; and the SNI name.
@Suite("TLS configuration")
struct TLSConfigurationTests {
    func configuration(_ options: SSLOptions) throws -> TLSConfiguration {
        try options.makeTLSConfiguration()
    }

    func tlsError(_ options: SSLOptions) -> ParametersError? {
        do throws(ParametersError) {
            _ = try options.makeTLSConfiguration()
            return nil
        } catch {
            return error
        }
    }

    @Test func defaultsVerifyFully() throws {
        let configuration = try configuration(SSLOptions())
        #expect(configuration.certificateVerification == .fullVerification)
        #expect(configuration.minimumTLSVersion == .tlsv12)
        #expect(configuration.trustRoots == .default)
        #expect(configuration.certificateChain.isEmpty)
        #expect(configuration.privateKey == nil)
    }

    @Test func verificationModesAndVersion() throws {
        #expect(try configuration(SSLOptions(certificateVerification: .noHostnameVerification)).certificateVerification == .noHostnameVerification)
        #expect(try configuration(SSLOptions(certificateVerification: .insecureNoVerification)).certificateVerification == .none)
        #expect(try configuration(SSLOptions(minimumTLSVersion: .tlsV1_3)).minimumTLSVersion == .tlsv13)
    }

    @Test func missingFiles() throws {
        let directory = "/nonexistent-hare-\(UInt32.random(in: 0...UInt32.max))"
        for options in [
            SSLOptions(caFile: directory + "/ca.pem"),
            SSLOptions(certificateFile: directory + "/cert.pem"),
        ] {
            let error = try #require(tlsError(options))
            #expect(error.key == "ssl_options")
            #expect(error.reason.contains(directory))
        }
        let keyOnly = try #require(tlsError(SSLOptions(privateKeyFile: "/k.pem")))
        #expect(keyOnly == ParametersError(key: "ssl_options", reason: "keyfile needs certfile (the client certificate)"))
    }

    @Test func filesWithoutPEM() throws {
        let directory = try TemporaryDirectory()
        let garbage = try directory.write("garbage.pem", "not a certificate\n")
        let empty = try directory.write("empty.pem", "")
        for file in [garbage, empty] {
            let error = try #require(tlsError(SSLOptions(caFile: file)))
            #expect(error.key == "ssl_options")
            #expect(error.reason.contains(file))
        }
    }

    @Test
    func certificateFiles() throws {
        let directory = try TemporaryDirectory()
        let (certificate, key) = try OpenSSL.selfSigned(in: directory)
        let configuration = try configuration(
            SSLOptions(caFile: certificate, certificateFile: certificate, privateKeyFile: key, serverHostname: "rabbit"))
        guard case .certificates(let roots)? = configuration.trustRoots else {
            Issue.record("trust roots not loaded: \(String(describing: configuration.trustRoots))")
            return
        }
        #expect(roots.count == 1)
        #expect(configuration.certificateChain.count == 1)
        #expect(configuration.privateKey != nil)

        // Certificate and key in one file: the key is read from the certificate file.
        let combined = try directory.write("combined.pem", try String(contentsOfFile: certificate, encoding: .utf8) + String(contentsOfFile: key, encoding: .utf8))
        #expect(try self.configuration(SSLOptions(certificateFile: combined)).privateKey != nil)

        // A certificate without its key.
        let error = try #require(tlsError(SSLOptions(certificateFile: certificate)))
        #expect(error.key == "ssl_options")
        #expect(error.reason.contains("private key"))
        // A missing key file.
        #expect(self.tlsError(SSLOptions(certificateFile: certificate, privateKeyFile: directory.path + "/missing.pem"))?.key == "ssl_options")
    }

    @Test func sniHostname() {
        #expect(SSLOptions().sniHostname(connectingTo: "rabbit.example") == "rabbit.example")
        #expect(SSLOptions(serverHostname: "name.example").sniHostname(connectingTo: "10.0.0.1") == "name.example")
        #expect(SSLOptions().sniHostname(connectingTo: "10.0.0.1") == nil)
        #expect(SSLOptions().sniHostname(connectingTo: "::1") == nil)
        #expect(SSLOptions().sniHostname(connectingTo: "") == nil)
        #expect(SSLOptions().sniHostname(connectingTo: "1.2.3") == "1.2.3")
        #expect(SSLOptions().sniHostname(connectingTo: "256.1.1.1") == "256.1.1.1")
        #expect(SSLOptions.isIPAddress("255.255.255.255"))
        #expect(!SSLOptions.isIPAddress("1.2.3.4.5"))
        #expect(!SSLOptions.isIPAddress("1..3.4"))
        #expect(!SSLOptions.isIPAddress("1.2.3.1234"))
    }
}

/// A directory under the system's temporary directory, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("hare-tls-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `contents` to `name` in the directory and returns its path.
    func write(_ name: String, _ contents: String) throws -> String {
        let file = path + "/" + name
        try contents.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
}

/// The `openssl` command, to make test certificates.
enum OpenSSL {
    static let executable = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/opt/homebrew/bin/openssl"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static var isAvailable: Bool { executable != nil }

    /// A self-signed certificate for "rabbit" and its key, as PEM files in `directory`.
    static func selfSigned(in directory: TemporaryDirectory) throws -> (certificate: String, key: String) {
        let certificate = directory.path + "/cert.pem"
        let key = directory.path + "/key.pem"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(executable))
        process.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=rabbit",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return (certificate, key)
    }
}
