import AMQPProtocol
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
@testable import HarePerf
import Testing

/// `hare perf --queue-args`, `--consumer-args`, `--exchange-type` and `--predeclared`, without a
/// broker: how the arguments are read and typed, and which combinations are refused.
@Suite("hare perf: queue and consumer arguments, exchanges, predeclared objects")
struct PerfArgumentTests {
    @Test("key=value pairs are typed from their text: whole numbers, true/false, else strings")
    func parsing() throws {
        let arguments = try PerfArgument.parse(
            ["x-max-length=10,x-overflow=reject-publish", "x-single-active-consumer=true,x-message-ttl=-5",
             "x-dead-letter-routing-key=a=b,ratio=0.5,empty=,big=9223372036854775807"],
            setting: "queue-args"
        )
        #expect(arguments == [
            PerfArgument(key: "x-max-length", value: .integer(10)),
            PerfArgument(key: "x-overflow", value: .string("reject-publish")),
            PerfArgument(key: "x-single-active-consumer", value: .boolean(true)),
            PerfArgument(key: "x-message-ttl", value: .integer(-5)),
            PerfArgument(key: "x-dead-letter-routing-key", value: .string("a=b")),
            PerfArgument(key: "ratio", value: .string("0.5")),
            PerfArgument(key: "empty", value: .string("")),
            PerfArgument(key: "big", value: .integer(Int64.max)),
        ])
        #expect(try PerfArgument.parse([], setting: "queue-args").isEmpty)
        #expect(PerfArgument.Value(parsing: "9223372036854775808") == .string("9223372036854775808"), "past Int64: text")
        #expect(PerfArgument.Value(parsing: "True") == .string("True"), "only true and false are booleans")
    }

    static let malformed: [(String, String)] = [
        ("x-max-length", "'x-max-length' is not key=value"),
        ("a=1,,b=2", "'' is not key=value"),
        ("a=1,", "'' is not key=value"),
        ("=5", "'=5' has no key"),
    ]

    @Test("a pair without '=' or without a key is refused, naming the pair", arguments: malformed)
    func malformedPairs(list: String, reason: String) {
        #expect(throws: PerfConfigurationError(setting: "consumer-args", reason: reason)) {
            try PerfArgument.parse([list], setting: "consumer-args")
        }
    }

    @Test("on the wire: integers as signed 64-bit, booleans and strings as such")
    func fieldTable() {
        let table = PerfArgument.table([
            PerfArgument(key: "x-max-length", value: .integer(1000)),
            PerfArgument(key: "x-single-active-consumer", value: .boolean(false)),
            PerfArgument(key: "x-queue-mode", value: .string("lazy")),
        ])
        #expect(table == ["x-max-length": .int64(1000), "x-single-active-consumer": .boolean(false), "x-queue-mode": .string("lazy")])
        #expect(PerfArgument.table([]) == [:])
    }

    @Test("in the JSON summary a value is a plain number, boolean or string, and reads back the same")
    func json() throws {
        let arguments = [
            PerfArgument(key: "n", value: .integer(-7)),
            PerfArgument(key: "b", value: .boolean(true)),
            PerfArgument(key: "s", value: .string("10x")),
        ]
        let encoded = try JSONEncoder().encode(arguments)
        let text = String(decoding: encoded, as: UTF8.self)
        #expect(text.contains(#""value":-7"#) && text.contains(#""value":true"#) && text.contains(#""value":"10x""#), "\(text)")
        #expect(try JSONDecoder().decode([PerfArgument].self, from: encoded) == arguments)
    }

    /// A default configuration with one change.
    static func changed(_ change: (inout PerfConfiguration) -> Void) -> PerfConfiguration {
        var configuration = PerfConfiguration()
        change(&configuration)
        return configuration
    }

    static let accepted: [PerfConfiguration] = [
        changed { $0.queueArguments = [PerfArgument(key: "x-max-length", value: .integer(5))] },
        changed { $0.quorum = true; $0.queueArguments = [PerfArgument(key: "x-queue-type", value: .string("quorum"))] },
        changed { $0.consumerArguments = [PerfArgument(key: "x-priority", value: .integer(3))] },
        changed { $0.exchange = "perf"; $0.exchangeType = "topic"; $0.routingKey = "a.b" },
        changed { $0.queue = "q"; $0.predeclared = true },
        changed { $0.queue = "q"; $0.predeclared = true; $0.exchange = "perf"; $0.consumerArguments = [PerfArgument(key: "x-priority", value: .integer(1))] },
    ]

    @Test("arguments, an exchange type and predeclared objects that fit together are accepted", arguments: accepted)
    func acceptedCombinations(configuration: PerfConfiguration) throws {
        try configuration.validate()
    }

    static let refusals: [(String, String, PerfConfiguration)] = [
        ("queue-args", "'a' is given twice", changed {
            $0.queueArguments = [PerfArgument(key: "a", value: .integer(1)), PerfArgument(key: "a", value: .integer(2))]
        }),
        ("consumer-args", "'x-priority' is given twice", changed {
            $0.consumerArguments = [PerfArgument(key: "x-priority", value: .integer(1)), PerfArgument(key: "x-priority", value: .integer(2))]
        }),
        ("queue-args", "an argument has no key", changed { $0.queueArguments = [PerfArgument(key: "", value: .integer(1))] }),
        ("queue-args", "the key 'kkkkkkkkkkkkkkkkkkkk...' is over 255 bytes", changed {
            $0.queueArguments = [PerfArgument(key: String(repeating: "k", count: 256), value: .integer(1))]
        }),
        ("queue-args", "x-queue-type conflicts with --quorum", changed {
            $0.quorum = true; $0.queueArguments = [PerfArgument(key: "x-queue-type", value: .string("classic"))]
        }),
        ("exchange-type", "needs --exchange: the default exchange is always direct", changed { $0.exchangeType = "fanout" }),
        ("exchange-type", "must not be empty", changed { $0.exchange = "perf"; $0.exchangeType = "" }),
        ("exchange-type", "'amq.topic' is the broker's own exchange, which a client cannot declare", changed {
            $0.exchange = "amq.topic"; $0.exchangeType = "topic"
        }),
        ("predeclared", "needs --queue: a queue that exists has a name", changed { $0.predeclared = true }),
        ("durable", "has no effect with --predeclared, which declares nothing", changed {
            $0.queue = "q"; $0.predeclared = true; $0.durable = true
        }),
        ("quorum", "has no effect with --predeclared, which declares nothing", changed {
            $0.queue = "q"; $0.predeclared = true; $0.quorum = true
        }),
        ("queue-args", "has no effect with --predeclared, which declares nothing", changed {
            $0.queue = "q"; $0.predeclared = true; $0.queueArguments = [PerfArgument(key: "x-max-length", value: .integer(1))]
        }),
        ("exchange-type", "has no effect with --predeclared, which declares nothing", changed {
            $0.queue = "q"; $0.predeclared = true; $0.exchange = "perf"; $0.exchangeType = "direct"
        }),
    ]

    @Test("combinations that cannot work are refused with the setting and the reason", arguments: refusals)
    func refused(setting: String, reason: String, configuration: PerfConfiguration) {
        #expect(throws: PerfConfigurationError(setting: setting, reason: reason)) { try configuration.validate() }
    }
}
