import Foundation
import Hare
import HareTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The broker the fault suite may stop, pause, alarm and cut off: a RabbitMQ node of its own
/// (`scripts/faults-broker`: hare-faults@localhost on 127.0.0.1:5673), so the main test broker
/// and the tests that use it are never disturbed. `HARE_FAULTS_URL` and `HARE_FAULTS_NODE`
/// point elsewhere.
enum FaultBroker {
    static var url: String {
        ProcessInfo.processInfo.environment["HARE_FAULTS_URL"] ?? "amqp://guest:guest@127.0.0.1:5673/"
    }

    static var node: String {
        ProcessInfo.processInfo.environment["HARE_FAULTS_NODE"] ?? "hare-faults@localhost"
    }

    /// The repository's root (for its scripts).
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Parameters for the fault broker, named `name` (its connection_name, for rabbitmqctl).
    static func parameters(name: String, _ adjust: (inout ConnectionParameters) -> Void = { _ in }) throws -> ConnectionParameters {
        var parameters = try URLParameters(url).connectionParameters
        parameters.clientProperties = ["connection_name": .string(name)]
        parameters.connectionAttempts = 1
        adjust(&parameters)
        return parameters
    }

    /// Starts the node if it is not running, and its app if a test left it stopped.
    static func ensureRunning() async throws {
        if try await isRunning() { return }
        try await startDetached(["scripts/faults-broker", "start"], log: "faults-broker", until: isRunning)
    }

    static func isRunning() async throws -> Bool {
        try await CommandRunner.run(["rabbitmqctl", "-n", node, "-q", "eval", "rabbit:is_running()."], timeout: 30).stdout
            .contains("true")
    }

    /// Runs a script of the repository that starts RabbitMQ nodes, in a session of its own
    /// with every other descriptor closed (a node it leaves running would otherwise hold the
    /// test process's descriptors, and the wait for the script would last as long as the node),
    /// and waits until `until` holds, at most `timeout` seconds. Its output goes to
    /// /tmp/hare-NAME.log.
    static func startDetached(
        _ command: [String], log name: String, timeout: Double = 240, until ready: () async throws -> Bool
    ) async throws {
        let path = "/tmp/hare-\(name).log"
        let spawn = """
            import subprocess, sys
            log = open(sys.argv[2], "w")
            subprocess.Popen(sys.argv[3:], cwd=sys.argv[1], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True, close_fds=True)
            """
        try await CommandRunner.check(["python3", "-c", spawn, root.path, path] + command, timeout: 30)
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            if (try? await ready()) == true { return }
            try await pause(1)
        }
        let output = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        throw CommandFailure(description: "`\(command.joined(separator: " "))` did not get ready within \(timeout) s:\n\(output)")
    }

    /// Runs `rabbitmqctl -n NODE -q ARGS`; fails unless it exits 0.
    @discardableResult
    static func ctl(_ arguments: String..., timeout: Double = 90) async throws -> String {
        try await CommandRunner.check(["rabbitmqctl", "-n", node, "-q"] + arguments, timeout: timeout).stdout
    }

    /// The Erlang pids of the connections named `name` (there may be a moment before the
    /// broker lists a new one).
    static func connectionPIDs(named name: String) async throws -> [String] {
        let listing = try await ctl("list_connections", "--no-table-headers", "pid", "client_properties")
        let needle = "{\"connection_name\",\"\(name)\"}"
        return listing.split(separator: "\n").filter { $0.contains(needle) }.compactMap { $0.split(separator: "\t").first.map(String.init) }
    }

    /// Closes every connection named `name` from the broker (320 CONNECTION_FORCED).
    static func closeConnections(named name: String) async throws {
        var pids: [String] = []
        for _ in 0..<40 {
            pids = try await connectionPIDs(named: name)
            if !pids.isEmpty { break }
            try await pause(0.25)
        }
        guard !pids.isEmpty else { throw CommandFailure(description: "rabbitmqctl lists no connection named '\(name)'") }
        for pid in pids { try await ctl("close_connection", pid, "fault suite: close_connection") }
    }

    /// The operating-system pid of the node's Erlang VM.
    static func osPID() async throws -> pid_t {
        let digits = try await ctl("eval", "os:getpid().").filter(\.isNumber)
        guard let pid = pid_t(digits), pid > 1 else { throw CommandFailure(description: "no pid in '\(digits)'") }
        return pid
    }

    /// Waits until the node's app answers again.
    static func awaitStartup() async throws {
        try await ctl("await_startup", "--timeout", "90", timeout: 120)
    }
}
