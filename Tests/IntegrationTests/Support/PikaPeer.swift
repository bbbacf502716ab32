import Foundation

import HareTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `scripts/pika-peer.py`, the Pika side of the interop tests.
enum PikaPeer {
    /// The peer script, found from this file's place in the repository.
    static var script: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Support
            .deletingLastPathComponent()  // IntegrationTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // the package
            .appendingPathComponent("scripts/pika-peer.py").path
    }

    /// The first Python with Pika 1.4 or later: `HARE_PYTHON`, `python3` in PATH,
    /// `/usr/bin/python3`. (Earlier Pika decodes `b`, `B` and `l` wrongly.) Without one the test
    /// fails, saying how to install Pika.
    static func python() async throws -> String {
        var candidates: [String] = []
        if let chosen = getenv("HARE_PYTHON") { candidates.append(String(cString: chosen)) }
        candidates += ["python3", "/usr/bin/python3"]
        let check = "import pika, sys; sys.exit(0 if tuple(int(p) for p in pika.__version__.split('.')[:2]) >= (1, 4) else 1)"
        for candidate in candidates {
            let probe = try? await CommandRunner.run([candidate, "-c", check], timeout: 30)
            if probe?.status == 0 { return candidate }
        }
        throw CommandFailure(description: """
            No Pika 1.4 or later is importable by \(candidates.joined(separator: " or ")): the interop tests need it. \
            Install it with `python3 -m pip install 'pika>=1.4'`, or set HARE_PYTHON to a Python that has it.
            """)
    }

    /// Pika publishes its message (every property, every field type it encodes) to `queue`.
    static func publish(queue: String) async throws {
        let python = try await python()
        try await CommandRunner.check(["HARE_TEST_URL=\(Broker.url)", python, script, "publish", queue], timeout: 60)
    }

    /// Pika fetches one message from `queue` and describes it.
    static func consume(queue: String, timeout: Double = 10) async throws -> PikaReport {
        let python = try await python()
        let output = try await CommandRunner.check(
            ["HARE_TEST_URL=\(Broker.url)", python, script, "consume", queue, "\(timeout)"], timeout: timeout + 60
        )
        do {
            return try JSONDecoder().decode(PikaReport.self, from: Data(output.stdout.utf8))
        } catch {
            throw CommandFailure(description: "cannot read the peer's report (\(error)):\n\(output)")
        }
    }
}

/// A message as Pika received it (the JSON `pika-peer.py consume` prints).
struct PikaReport: Decodable {
    var exchange: String
    var routingKey: String
    var redelivered: Bool
    /// The body, in hex.
    var body: String
    /// Each of the 14 properties by its Pika name.
    var properties: [String: PyValue]

    enum CodingKeys: String, CodingKey {
        case exchange, redelivered, body, properties
        case routingKey = "routing_key"
    }
}

/// A Python value as the peer describes it: its type as Pika decoded it, and its value.
struct PyValue: Decodable, Equatable, Sendable, CustomStringConvertible {
    var type: String
    var value: String?
    var tz: String?
    var items: [PyValue]?
    var entries: [PyEntry]?

    static let pyNone = PyValue(type: "none")
    static func bool(_ value: Bool) -> PyValue { PyValue(type: "bool", value: value ? "true" : "false") }
    static func int(_ value: some BinaryInteger) -> PyValue { PyValue(type: "int", value: "\(value)") }
    /// A float, as Python's `repr` writes it.
    static func float(_ repr: String) -> PyValue { PyValue(type: "float", value: repr) }
    static func str(_ value: String) -> PyValue { PyValue(type: "str", value: value) }
    static func bytes(_ value: [UInt8]) -> PyValue { PyValue(type: "bytes", value: Hex.encode(value)) }
    static func decimal(_ value: String) -> PyValue { PyValue(type: "decimal", value: value) }
    static func datetime(_ secondsSince1970: UInt64) -> PyValue {
        PyValue(type: "datetime", value: "\(secondsSince1970)", tz: "UTC")
    }
    static func list(_ items: [PyValue]) -> PyValue { PyValue(type: "list", items: items) }
    static func dict(_ entries: KeyValuePairs<String, PyValue>) -> PyValue {
        PyValue(type: "dict", entries: entries.map { PyEntry(key: $0.key, value: $0.value) })
    }

    var description: String {
        switch type {
        case "none": "None"
        case "list": "[" + (items ?? []).map(\.description).joined(separator: ", ") + "]"
        case "dict": "{" + (entries ?? []).map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        default: "\(type)(\(value ?? ""))"
        }
    }
}

/// One entry of a Python dict, in order.
struct PyEntry: Decodable, Equatable, Sendable {
    var key: String
    var value: PyValue
}

/// Hex strings for bodies and byte values.
enum Hex {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
    }
}
