import ArgumentParser

/// `hare`: Hare's command-line tool.
@main
struct HareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hare",
        abstract: "Hare, an AMQP 0-9-1 client for Swift: command-line tools.",
        subcommands: [PerfCommand.self]
    )
}
