import ArgumentParser
import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials  // JSONEncoder, without Foundation's ICU
#else
import Foundation
#endif
import HarePerf
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `hare perf`: a load test in the manner of RabbitMQ's PerfTest.
struct PerfCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perf",
        abstract: "Publishes and consumes against a broker and reports rates, latency and client CPU.",
        discussion: """
            There are -x producer connections with -X channels each and -y consumer connections with \
            -Y channels each; every producer channel publishes an equal share of --rate and --count, \
            every consumer channel has its own consumer on the queue. With --shared-connections the \
            consumers open their channels on the producers' connections instead: connection i carries \
            -X publishing channels and, for i < -y, -Y consuming channels (so -x 50 -X 10 -y 50 -Y 10 \
            --shared-connections is 50 connections of 10 publishing and 10 consuming channels each). \
            Every second a progress line shows sent/s, confirmed/s, received/s, latency percentiles \
            (from a timestamp in each message) and the client's CPU. Ctrl-C stops the run cleanly and \
            prints the summary so far: totals, rates, latency, client CPU, peak RSS, threads, and the \
            connections and channels used.
            """
    )

    @Option(name: .long, help: "The broker's AMQP URL.")
    var url = "amqp://guest:guest@127.0.0.1:5672/"
    @Option(name: [.customShort("x"), .long], help: "Producer connections.")
    var producers = 1
    @Option(name: [.customShort("y"), .long], help: "Consumer connections (with --shared-connections: at most -x).")
    var consumers = 1
    @Option(
        name: [.customShort("X"), .customLong("producer-channels")],
        help: "Channels per producer connection, each an independent producer."
    )
    var producerChannels = 1
    @Option(
        name: [.customShort("Y"), .customLong("consumer-channels")],
        help: "Channels per consumer connection, each with its own consumer."
    )
    var consumerChannels = 1
    @Flag(name: .customLong("shared-connections"), help: "Open consumer connection i's channels on producer connection i.")
    var sharedConnections = false
    @Option(name: [.short, .long], help: "Message size in bytes (8 or more carries a timestamp for latency).")
    var size = 16
    @Option(name: [.short, .long], help: "Publisher confirms in flight per producer channel; 0: no confirms.")
    var confirm = 0
    @Option(name: [.short, .long], help: "Prefetch (basic.qos) per consumer channel; 0: none.")
    var prefetch = 0
    @Option(name: [.customLong("multi-ack-every")], help: "Acknowledge with 'multiple' every N deliveries; 0 or 1: each one.")
    var multiAckEvery = 0
    @Flag(name: [.short, .long], help: "Consume with autoAck.")
    var autoAck = false
    @Option(
        name: [.short, .long], help: "Total publishing rate in messages per second, shared by all producer channels; 0: no limit."
    )
    var rate: Double = 0
    @Option(
        name: .customLong("pacing-interval"),
        help: "With --rate: how often, in microseconds, producers wake to send what is due (at most 100000); 0: for every message."
    )
    var pacingInterval = 1000
    @Option(name: [.customShort("z"), .long], help: "Run time in seconds.")
    var time: Double?
    @Option(name: [.customShort("C"), .long], help: "Messages to publish in all (with no producers: to consume).")
    var count: Int?
    @Option(name: [.short, .long], help: "Queue name; default: a server-named, auto-delete queue for the run.")
    var queue: String?
    @Flag(name: .long, help: "Declare the queue and the exchange durable (a quorum or stream queue is durable without it).")
    var durable = false
    @Flag(name: .long, help: "Declare the queue as a quorum queue (x-queue-type: quorum).")
    var quorum = false
    @Option(
        name: .customLong("queue-args"), parsing: .singleValue,
        help: ArgumentHelp(
            "Queue arguments as key=value pairs separated by commas, e.g. x-max-length=1000,x-overflow=reject-publish.",
            discussion: """
                A whole number is sent as an integer, true or false as a boolean, anything else (or a value in \
                double quotes, e.g. x-dead-letter-exchange='"2024"') as a string. Values cannot hold commas; \
                the option may be given again.
                """
        )
    )
    var queueArgs: [String] = []
    @Option(
        name: .customLong("consumer-args"), parsing: .singleValue,
        help: "Consumer arguments as key=value pairs separated by commas, e.g. x-priority=10 (typed as --queue-args)."
    )
    var consumerArgs: [String] = []
    @Flag(
        name: .long,
        help: "The queue (named with -q) and the exchange exist: check them and use them as they are, declaring nothing."
    )
    var predeclared = false
    @Flag(
        name: .customLong("skip-binding-queues"),
        help: "Do not bind the queue to the exchange: the messages go by the exchange's existing bindings."
    )
    var skipBindingQueues = false
    @Flag(name: .long, help: "Publish persistent messages (delivery mode 2).")
    var persistent = false
    @Option(name: [.short, .long], help: "Exchange to publish to; the queue is bound to it. Default: the default exchange.")
    var exchange = ""
    @Option(
        name: [.customShort("t"), .customLong("exchange-type")],
        help: "Type of the exchange -e names, which the run declares (direct, fanout, topic, headers, ...); default: direct."
    )
    var exchangeType: String?
    @Option(name: [.customShort("k"), .customLong("routing-key")], help: "Routing key; default: the queue name.")
    var routingKey: String?
    @Flag(name: .long, help: "Sequential round trips: publish the next message once the previous one is consumed.")
    var sequential = false
    @Flag(name: .long, help: "Print the summary as JSON (progress lines go to standard error).")
    var json = false

    func validate() throws {
        do {
            try makeConfiguration().validate()
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The run's settings from the command line.
    func makeConfiguration() throws(PerfConfigurationError) -> PerfConfiguration {
        var configuration = PerfConfiguration()
        configuration.url = url
        configuration.producers = producers
        configuration.consumers = consumers
        configuration.producerChannels = producerChannels
        configuration.consumerChannels = consumerChannels
        configuration.sharedConnections = sharedConnections
        configuration.messageSize = size
        configuration.confirmWindow = confirm
        configuration.prefetch = prefetch
        configuration.multiAckEvery = multiAckEvery
        configuration.autoAck = autoAck
        configuration.rate = rate
        configuration.pacingInterval = pacingInterval
        configuration.duration = time
        configuration.messageCount = count
        configuration.queue = queue
        configuration.durable = durable
        configuration.quorum = quorum
        configuration.queueArguments = try PerfArgument.parse(queueArgs, setting: "queue-args")
        configuration.consumerArguments = try PerfArgument.parse(consumerArgs, setting: "consumer-args")
        configuration.predeclared = predeclared
        configuration.skipBindingQueues = skipBindingQueues
        configuration.persistent = persistent
        configuration.exchange = exchange
        configuration.routingKey = routingKey
        configuration.exchangeType = exchangeType
        configuration.sequential = sequential
        return configuration
    }

    func run() async throws {
        let run = PerfRun(configuration: try makeConfiguration())
        // Ctrl-C ends the run with its summary instead of killing the process; a second Ctrl-C
        // kills it.
        signal(SIGINT, SIG_IGN)
        let interrupts = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue(label: "hare.perf.sigint"))
        let presses = InterruptCount()
        interrupts.setEventHandler {
            presses.count += 1
            if presses.count == 1 {
                run.requestStop()
            } else {
                signal(SIGINT, SIG_DFL)
                raise(SIGINT)
            }
        }
        interrupts.resume()
        defer { interrupts.cancel() }

        let json = json
        let summary = try await run.run { progress in
            if json {
                var line = progress.line + "\n"
                line.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
            } else {
                print(progress.line)
                fflush(nil)  // a line a second, also when the output is a file or a pipe
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(summary.text)
        }
    }
}

/// How many times Ctrl-C was pressed; touched on the signal source's serial queue only.
private final class InterruptCount: @unchecked Sendable {
    var count = 0
}
