import HareTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `rabbitmqctl` for the tests that act on the broker itself (the tests run as root, as CI does).
enum RabbitMQCtl {
    /// Runs `rabbitmqctl -q ARGS` and fails unless it exits 0.
    @discardableResult
    static func run(_ arguments: String..., timeout: Double = 60) async throws -> String {
        try await CommandRunner.check(["rabbitmqctl", "-q"] + arguments, timeout: timeout).stdout
    }

    /// Sets the memory high watermark (a fraction of the machine's memory).
    static func setMemoryHighWatermark(_ fraction: String) async throws {
        try await run("set_vm_memory_high_watermark", fraction)
    }

    /// The broker's default watermark, restored after the memory alarm test.
    static let defaultMemoryHighWatermark = "0.4"

    /// Runs `body` with a memory alarm raised (watermark 0.000001); the watermark is restored
    /// whether `body` succeeds or fails.
    static func withMemoryAlarm<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await setMemoryHighWatermark("0.000001")
        let result: T
        do {
            result = try await body()
        } catch {
            try? await setMemoryHighWatermark(defaultMemoryHighWatermark)
            throw error
        }
        try await setMemoryHighWatermark(defaultMemoryHighWatermark)
        return result
    }

    /// The Erlang pid of the connection whose client properties hold `connection_name` = `name`.
    static func connectionPID(named name: String) async throws -> String? {
        let listing = try await run("list_connections", "--no-table-headers", "pid", "client_properties")
        let needle = "{\"connection_name\",\"\(name)\"}"
        for line in listing.split(separator: "\n") where line.contains(needle) {
            if let pid = line.split(separator: "\t").first { return String(pid) }
        }
        return nil
    }

    /// Closes a connection from the broker side (connection.close 320 CONNECTION_FORCED).
    static func closeConnection(named name: String, explanation: String) async throws {
        var pid: String?
        // The broker lists a connection a moment after it opened: look again briefly.
        for _ in 0..<20 {
            pid = try await connectionPID(named: name)
            if pid != nil { break }
            try await pause(0.25)
        }
        guard let pid else { throw CommandFailure(description: "rabbitmqctl lists no connection named '\(name)'") }
        try await run("close_connection", pid, explanation)
    }

    /// The operating-system pid of the broker's Erlang VM (beam.smp).
    static func brokerOSPID() async throws -> pid_t {
        let output = try await run("eval", "os:getpid().")
        let digits = output.filter(\.isNumber)
        guard let pid = pid_t(digits), pid > 1 else {
            throw CommandFailure(description: "cannot read the broker's pid from '\(output)'")
        }
        return pid
    }

    /// Waits until the broker answers again (after it was paused).
    static func awaitStartup() async throws {
        try await run("await_startup", "--timeout", "60", timeout: 90)
    }
}
