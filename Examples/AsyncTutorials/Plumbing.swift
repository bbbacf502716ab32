// What the async tutorials share: their command line, where they connect, and how they close.

import Dispatch
import ExampleSupport
import Hare

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tutorial on the command line (`async-tutorials <tutorial> <role> [arguments...]`).
struct Tutorial: Sendable {
    /// The first argument: "hello-world", "work-queues", ...
    var name: String
    /// Its programs: "send" and "receive", ...
    var roles: [Role]
}

/// One program of a tutorial: its name, the arguments it takes and what it does with them.
struct Role: Sendable {
    /// The second argument: "send", "receive", ...
    var name: String
    /// The arguments in the usage line ("[message...]", "severity...", ...).
    var synopsis = ""
    /// How many arguments it takes.
    var arguments = 0...Int.max
    /// Runs it with its arguments; what it throws is printed and ends the program with status 1.
    var run: @Sendable ([String]) async throws -> Void
}

/// Why a tutorial program gave up, in a line of its own.
struct Failure: Error, CustomStringConvertible {
    /// The line printed.
    var description: String

    /// A failure that prints `description`.
    init(_ description: String) { self.description = description }
}

/// Connects to HARE_TEST_URL when it is set, else with the default parameters (Pika's:
/// localhost:5672, guest/guest), opens a channel, runs `body` on it and closes the connection
/// gracefully, whether `body` returned or threw.
func withChannel(_ body: (Channel) async throws -> Void) async throws {
    let url = getenv("HARE_TEST_URL").map { String(cString: $0) }
    let parameters: any ConnectionParametersConvertible = try url.map { try URLParameters($0) } ?? ConnectionParameters()
    let connection = try await Connection.connect([parameters])
    var failure: (any Error)?
    do {
        try await body(connection.channel())
    } catch {
        failure = error
    }
    // Ctrl-C cancels this task (see main.swift), and a cancelled task stops waiting for a close
    // at once: the close runs in a task of its own, which is not cancelled, so it completes
    // (connection.close, then close-ok) before the program exits.
    try? await Task { try await connection.close() }.value
    if let failure { throw failure }
}

/// Cancels `task` when Ctrl-C (SIGINT) comes, instead of ending the process at once: Dispatch
/// reports the signal. Keep the returned source as long as Ctrl-C should cancel.
func cancelOnInterrupt(_ task: Task<Void, any Error>) -> any DispatchSourceSignal {
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT)
    source.setEventHandler { task.cancel() }
    source.resume()
    return source
}
