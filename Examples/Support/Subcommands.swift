// The tutorial programs' command lines: `program subcommand [arguments...]`.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One subcommand of a tutorial program: its name, the arguments it takes and what it runs.
public struct Subcommand {
    /// The name, the first command-line argument.
    public let name: String
    /// The arguments in the usage line ("[message...]", "QUEUE MESSAGE", ...).
    public let synopsis: String
    let accepts: (Int) -> Bool
    let run: ([String]) -> Int32

    /// A subcommand `name` taking a number of arguments in `arguments`; `run` gets them and
    /// returns the exit status.
    public init(
        _ name: String, _ synopsis: String = "", arguments: some RangeExpression<Int> = 0...,
        run: @escaping ([String]) -> Int32
    ) {
        self.name = name
        self.synopsis = synopsis
        self.accepts = { arguments.contains($0) }
        self.run = run
    }
}

/// Runs the subcommand the first command-line argument names with the arguments after it, and
/// exits with its status; prints the usage line and exits 1 when no subcommand fits.
public func runCommandLine(_ program: String, _ subcommands: [Subcommand]) -> Never {
    let words = Array(CommandLine.arguments.dropFirst())
    let chosen = subcommands.first { $0.name == words.first && $0.accepts(words.count - 1) }
    guard let chosen else {
        let forms = subcommands.map { $0.synopsis.isEmpty ? $0.name : "\($0.name) \($0.synopsis)" }
        complain("usage: \(program) " + forms.joined(separator: " | "))
    }
    exit(chosen.run(Array(words.dropFirst())))
}

/// The message given on the command line: `words` joined with spaces, or `fallback` when there
/// are none.
public func messageText(from words: some Collection<String>, default fallback: String) -> String {
    words.isEmpty ? fallback : words.joined(separator: " ")
}
