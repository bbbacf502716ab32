import AMQPProtocol
import Foundation
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
        #expect(try PerfArgument.parse([#"x-dead-letter-exchange="2024", a = 1 ,b= x y "#], setting: "queue-args") == [
            PerfArgument(key: "x-dead-letter-exchange", value: .string("2024")),
            PerfArgument(key: "a", value: .integer(1)),
            PerfArgument(key: "b", value: .string("x y")),
        ], "quotes make a string; spaces around keys and values go")
        #expect(PerfArgument.Value(parsing: #""""#) == .string(""))
        #expect(PerfArgument.Value(parsing: #"""#) == .string(#"""#), "a lone quote is text")
        #expect(PerfArgument.Value(parsing: #""true""#) == .string("true"))
        #expect(PerfArgument.Value(parsing: "9223372036854775808") == .string("9223372036854775808"), "past Int64: text")
        #expect(PerfArgument.Value(parsing: "True") == .string("True"), "only true and false are booleans")
    }

    static let malformed: [(String, String)] = [
        ("x-max-length", "'x-max-length' is not key=value (a value cannot hold a comma)"),
        ("a=1,,b=2", "an empty pair in 'a=1,,b=2' (a comma too many?)"),
        ("a=1,", "an empty pair in 'a=1,' (a comma too many?)"),
        ("a=1, ", "an empty pair in 'a=1, ' (a comma too many?)"),
        ("=5", "'=5' has no key"),
        (" =5", "' =5' has no key"),
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

    @Test("every setting round-trips through JSON, and one written without the newer settings reads back with their defaults")
    func olderJSON() throws {
        // Every setting away from its default, so that a setting the decoder forgets shows.
        var configuration = PerfConfiguration()
        configuration.url = "amqp://elsewhere:5673/v"
        configuration.producers = 3
        configuration.consumers = 2
        configuration.producerChannels = 4
        configuration.consumerChannels = 5
        configuration.sharedConnections = true
        configuration.messageSize = 100
        configuration.confirmWindow = 7
        configuration.prefetch = 8
        configuration.multiAckEvery = 4
        configuration.autoAck = true
        configuration.rate = 12.5
        configuration.pacingInterval = 250
        configuration.duration = 2.5
        configuration.messageCount = 99
        configuration.queue = "q"
        configuration.durable = true
        configuration.quorum = true
        configuration.queueArguments = [PerfArgument(key: "x-max-length", value: .integer(9))]
        configuration.consumerArguments = [PerfArgument(key: "x-priority", value: .boolean(true))]
        configuration.persistent = true
        configuration.exchange = "e"
        configuration.routingKey = "k"
        configuration.exchangeType = "topic"
        configuration.predeclared = true
        configuration.skipBindingQueues = true
        configuration.sequential = true
        let encoded = try JSONEncoder().encode(configuration)
        let object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(object.count == 27, "a setting added since: set it above and count it here")
        let defaults = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(PerfConfiguration())) as? [String: Any])
        for (key, value) in object {
            let set = try JSONSerialization.data(withJSONObject: [value])
            let byDefault = try defaults[key].map { try JSONSerialization.data(withJSONObject: [$0]) }
            #expect(set != byDefault, "\(key) is at its default")
        }
        #expect(try JSONDecoder().decode(PerfConfiguration.self, from: encoded) == configuration, "all settings round-trip")

        var older = object
        for key in ["queueArguments", "consumerArguments", "exchangeType", "predeclared", "skipBindingQueues", "pacingInterval", "duration"] {
            older[key] = nil
        }
        let decoded = try JSONDecoder().decode(PerfConfiguration.self, from: try JSONSerialization.data(withJSONObject: older))
        var expected = configuration
        expected.queueArguments = []
        expected.consumerArguments = []
        expected.exchangeType = nil
        expected.predeclared = false
        expected.skipBindingQueues = false
        expected.pacingInterval = 0  // an older hare woke for every message
        expected.duration = nil
        #expect(decoded == expected)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(PerfConfiguration.self, from: Data(#"{"producers":"two"}"#.utf8)) }
    }

    @Test("the queue is declared durable with --durable and as a quorum or stream queue")
    func durability() {
        #expect(!PerfConfiguration().queueIsDurable)
        #expect(Self.changed { $0.durable = true }.queueIsDurable)
        #expect(Self.changed { $0.quorum = true }.queueIsDurable)
        #expect(Self.changed { $0.queueArguments = [PerfArgument(key: "x-queue-type", value: .string("stream"))] }.queueIsDurable)
        #expect(Self.changed { $0.queueArguments = [PerfArgument(key: "x-queue-type", value: .string("quorum"))] }.queueIsDurable)
        #expect(!Self.changed { $0.queueArguments = [PerfArgument(key: "x-queue-type", value: .string("classic"))] }.queueIsDurable)
    }

    static let accepted: [PerfConfiguration] = [
        changed { $0.queueArguments = [PerfArgument(key: "x-max-length", value: .integer(5))] },
        changed { $0.queue = "q"; $0.quorum = true; $0.queueArguments = [PerfArgument(key: "x-queue-type", value: .string("quorum"))] },
        changed { $0.queue = "q"; $0.prefetch = 100; $0.queueArguments = [PerfArgument(key: "x-queue-type", value: .string("stream"))] },
        changed { $0.queue = "q"; $0.consumers = 0; $0.queueArguments = [PerfArgument(key: "x-queue-type", value: .string("stream"))] },
        changed { $0.exchange = "perf"; $0.skipBindingQueues = true },
        changed { $0.queueArguments = [PerfArgument(key: "x-queue-type", value: .string("classic"))] },
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
            $0.queue = "q"; $0.quorum = true; $0.queueArguments = [PerfArgument(key: "x-queue-type", value: .string("classic"))]
        }),
        ("quorum", "a quorum queue needs --queue: the broker names only classic queues", changed { $0.quorum = true }),
        ("queue-args", "a stream queue needs --queue: the broker names only classic queues", changed {
            $0.queueArguments = [PerfArgument(key: "x-queue-type", value: .string("stream"))]
        }),
        ("consumer-args", "a run without consumers (-y 0) has no consumer to give them to", changed {
            $0.consumers = 0; $0.consumerArguments = [PerfArgument(key: "x-priority", value: .integer(1))]
        }),
        ("exchange", "amq.default is the default exchange: leave --exchange out", changed { $0.exchange = "amq.default" }),
        ("queue-args", "a stream queue's consumers need --prefetch and manual acknowledgements (no --auto-ack)", changed {
            $0.queue = "q"; $0.queueArguments = [PerfArgument(key: "x-queue-type", value: .string("stream"))]
        }),
        ("queue-args", "a stream queue's consumers need --prefetch and manual acknowledgements (no --auto-ack)", changed {
            $0.queue = "q"; $0.prefetch = 10; $0.autoAck = true
            $0.queueArguments = [PerfArgument(key: "x-queue-type", value: .string("stream"))]
        }),
        ("skip-binding-queues", "needs --exchange: the default exchange routes to every queue by its name", changed {
            $0.skipBindingQueues = true
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
