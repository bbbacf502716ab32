import Foundation

/// What a finished command printed and how it exited.
public struct CommandOutput: Sendable, CustomStringConvertible {
    public var command: String
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public var description: String {
        "`\(command)` exited \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)"
    }
}

/// Runs external programs (rabbitmqctl, the Pika peer) from the tests.
public enum CommandRunner {
    /// Runs `arguments[0]` (looked up in PATH) with the rest as arguments, waiting at most
    /// `timeout` seconds (then it is killed and the wait fails). Output goes through temporary
    /// files, so a chatty program never blocks on a full pipe.
    public static func run(_ arguments: [String], timeout: Double = 60) async throws -> CommandOutput {
        let command = arguments.joined(separator: " ")
        let directory = FileManager.default.temporaryDirectory
        let outURL = directory.appendingPathComponent("hare-test-\(UUID().uuidString).out")
        let errURL = directory.appendingPathComponent("hare-test-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        defer {
            try? outHandle.close()
            try? errHandle.close()
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        let status: Int32 = try await awaitCallback("`\(command)` to finish", timeout: timeout) { done in
            process.terminationHandler = { finished in done(.success(finished.terminationStatus)) }
            do {
                try process.run()
            } catch {
                done(.failure(CommandFailure(description: "cannot run `\(command)`: \(error)")))
            }
        }
        // A timeout leaves the process running: end it.
        if process.isRunning { process.terminate() }
        let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return CommandOutput(command: command, status: status, stdout: stdout, stderr: stderr)
    }

    /// Runs a command and fails unless it exits 0.
    @discardableResult
    public static func check(_ arguments: [String], timeout: Double = 60) async throws -> CommandOutput {
        let output = try await run(arguments, timeout: timeout)
        guard output.status == 0 else { throw CommandFailure(description: output.description) }
        return output
    }
}
