// The codec benchmark of issue 2, section 7: encode and decode of
//   (a) a publish: basic.publish + content header + one 16-byte body frame,
//   (b) a delivery: basic.deliver + the same content,
//   (c) connection.start with a RabbitMQ-like server-properties table,
// each measured as encode, decode and encode+decode, in ns/op and allocations/op.
//
// Usage: codec-benchmark [--samples K] [--time-ms T] [--iterations N] [--filter TEXT] [--only NAME] [--tsv] [--dump]
//                        [--no-string-cache]
//   --iterations N fixes the iteration count per sample (for valgrind/callgrind runs);
//   otherwise each sample is calibrated to last about T ms (default 150).
//   --filter keeps the benchmarks whose name contains TEXT, --only the one called NAME.
//   --tsv prints `hare<TAB>name<TAB>ns/op<TAB>allocs/op` lines; --dump prints each scenario's
//   encoded frame set in hex (to compare with rabbitmq-c's bytes) and exits.
//   Decoding shares short strings through an `AMQPStringCache`, as a connection does (it hands
//   out the consumer tag, routing key and exchange of a delivery it decoded before instead of
//   building them again); --no-string-cache decodes without one.

import AMQPProtocol
import MallocCounter
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Harness

/// Keeps a value alive and opaque to the optimizer.
@inline(never) @_optimize(none)
func blackHole<T>(_ value: T) {}

@inline(__always)
func nowNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

struct Options {
    var samples = 7
    var targetNanoseconds: UInt64 = 150_000_000
    var fixedIterations: Int?
    var filter: String?
    var only: String?
    var tsv = false
    var dump = false
    var stringCache = true

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        func value(_ flag: String) -> String {
            guard let value = rest.popFirst() else { fatalError("\(flag) needs a value") }
            return value
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--samples": samples = max(1, Int(value(argument)) ?? 7)
            case "--time-ms": targetNanoseconds = UInt64(max(1, Int(value(argument)) ?? 150)) * 1_000_000
            case "--iterations": fixedIterations = max(1, Int(value(argument)) ?? 1)
            case "--filter": filter = value(argument)
            case "--only": only = value(argument)
            case "--tsv": tsv = true
            case "--dump": dump = true
            case "--no-string-cache": stringCache = false
            case "-h", "--help":
                print("usage: codec-benchmark [--samples K] [--time-ms T] [--iterations N] [--filter TEXT] [--only NAME] [--tsv] [--dump] [--no-string-cache]")
                exit(0)
            default: fatalError("unknown argument \(argument)")
            }
        }
    }

    /// Whether the benchmark called `name` is selected.
    func selects(_ name: String) -> Bool {
        if let only, only != name { return false }
        if let filter, !name.contains(filter) { return false }
        return true
    }
}

struct Result {
    var name: String
    var nanosecondsPerOp: Double
    var allocationsPerOp: Double
    var iterations: Int
}

/// Runs `body(n)` (which must do n operations) for several samples; returns the median ns/op
/// and the median allocations/op.
func measure(_ name: String, _ options: Options, _ body: (Int) -> Void) -> Result {
    body(1_000)  // warm up caches, the buffer's capacity and lazy runtime metadata
    let iterations: Int
    if let fixed = options.fixedIterations {
        iterations = fixed
    } else {
        var probe = 1_000
        var elapsed: UInt64 = 0
        while true {
            let start = nowNanoseconds()
            body(probe)
            elapsed = nowNanoseconds() - start
            if elapsed >= 10_000_000 || probe >= 1 << 30 { break }
            probe *= 4
        }
        iterations = max(1_000, Int(Double(probe) * Double(options.targetNanoseconds) / Double(max(elapsed, 1))))
    }
    var times: [Double] = []
    var allocations: [Double] = []
    for _ in 0..<options.samples {
        let mallocsBefore = hare_malloc_count()
        let start = nowNanoseconds()
        body(iterations)
        let end = nowNanoseconds()
        let mallocsAfter = hare_malloc_count()
        times.append(Double(end - start) / Double(iterations))
        allocations.append(Double(mallocsAfter - mallocsBefore) / Double(iterations))
    }
    return Result(name: name, nanosecondsPerOp: median(times), allocationsPerOp: median(allocations), iterations: iterations)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

// MARK: - Scenarios

/// One scenario: how to encode its frame set into a cleared buffer, and how many frames it has.
struct Scenario {
    var name: String
    var frameCount: Int
    var encode: (inout ByteBuffer) -> Void
}

let frameMax = 131_072
let parser = AMQPFrameParser(maxFrameSize: frameMax)

let body: ByteBuffer = {
    var buffer = ByteBufferAllocator().buffer(capacity: 16)
    buffer.writeString(#"{"n":1234567890}"#)
    precondition(buffer.readableBytes == 16)
    return buffer
}()

let messageProperties = AMQP.BasicProperties(
    contentType: "application/json",
    headers: ["x-trace": .string("a1b2c3d4"), "x-origin": .string("hare-bench")],
    deliveryMode: 2
)

let publish = AMQP.Basic.Publish(exchange: "", routingKey: "hare.bench", mandatory: false, immediate: false)

let deliver = AMQP.Basic.Deliver(
    consumerTag: "amq.ctag-hzMV1oS8zYBn3BZc4ZxA9Q",
    deliveryTag: 42,
    redelivered: false,
    exchange: "",
    routingKey: "hare.bench"
)

let start: AMQP.Connection.Start = {
    let capabilities: FieldTable = [
        "publisher_confirms": .boolean(true),
        "exchange_exchange_bindings": .boolean(true),
        "basic.nack": .boolean(true),
        "consumer_cancel_notify": .boolean(true),
        "connection.blocked": .boolean(true),
        "consumer_priorities": .boolean(true),
        "authentication_failure_close": .boolean(true),
        "per_consumer_qos": .boolean(true),
        "direct_reply_to": .boolean(true),
        "stream_queue": .boolean(true),
    ]
    let serverProperties: FieldTable = [
        "capabilities": .table(capabilities),
        "cluster_name": .string("rabbit@broker-1.example.internal"),
        "copyright": .string("Copyright (c) 2007-2022 VMware, Inc. or its affiliates."),
        "information": .string("Licensed under the MPL 2.0. Website: https://rabbitmq.com"),
        "platform": .string("Erlang/OTP 24.3.4.6"),
        "product": .string("RabbitMQ"),
        "version": .string("3.10.8"),
    ]
    var mechanisms = ByteBufferAllocator().buffer(capacity: 32)
    mechanisms.writeString("AMQPLAIN PLAIN")
    var locales = ByteBufferAllocator().buffer(capacity: 8)
    locales.writeString("en_US")
    return AMQP.Connection.Start(
        versionMajor: 0,
        versionMinor: 9,
        serverProperties: serverProperties,
        mechanisms: mechanisms,
        locales: locales
    )
}()

let scenarios: [Scenario] = [
    Scenario(name: "a-publish", frameCount: 3) { buffer in
        do {
            // As the client writes a publish: three frames, one reservation.
            try buffer.writeAMQPMessage(channel: 1, method: publish, properties: messageProperties, body: body, frameMax: frameMax)
        } catch {
            fatalError("encode: \(error)")
        }
    },
    Scenario(name: "b-deliver", frameCount: 3) { buffer in
        do {
            try buffer.writeAMQPMessage(channel: 1, method: deliver, properties: messageProperties, body: body, frameMax: frameMax)
        } catch {
            fatalError("encode: \(error)")
        }
    },
    Scenario(name: "c-connection-start", frameCount: 1) { buffer in
        do {
            try buffer.writeAMQPMethodFrame(channel: 0, method: start)
        } catch {
            fatalError("encode: \(error)")
        }
    },
]

/// The frames a scenario should decode to, for the self-check before timing.
func expectedFrames(_ scenario: Scenario) -> [AMQPFrame] {
    let header = AMQPContentHeader(bodySize: UInt64(body.readableBytes), properties: messageProperties)
    switch scenario.name {
    case "a-publish": return [.method(channel: 1, publish.asMethod), .header(channel: 1, header), .body(channel: 1, body)]
    case "b-deliver": return [.method(channel: 1, deliver.asMethod), .header(channel: 1, header), .body(channel: 1, body)]
    default: return [.method(channel: 0, start.asMethod)]
    }
}

/// Decodes every frame of the set at the front of `buffer`, in one pass and with a string cache
/// (unless `--no-string-cache`), as the client does.
@inline(__always)
func decodeAll(_ buffer: inout ByteBuffer, frameCount: Int) {
    var decoded = 0
    do {
        try parser.parseFrames(&buffer, sharingStrings: stringCache) { frame in
            blackHole(frame)
            decoded += 1
            return true
        }
    } catch {
        fatalError("decode: \(error)")
    }
    if decoded != frameCount { fatalError("decode: \(decoded) of \(frameCount) frames") }
}

/// The reused output buffer of the encoding benchmarks. The timed loops below take it `inout`,
/// so the runtime checks exclusive access once per sample, not once per operation as it would
/// for a variable the measuring closure captured.
final class Workspace {
    var bytes = ByteBufferAllocator().buffer(capacity: 4096)
}

@inline(never)
func encodeLoop(_ n: Int, _ buffer: inout ByteBuffer, _ encode: (inout ByteBuffer) -> Void) {
    for _ in 0..<n {
        buffer.clear()
        encode(&buffer)
    }
}

@inline(never)
func decodeLoop(_ n: Int, _ encoded: ByteBuffer, frameCount: Int) {
    for _ in 0..<n {
        var input = encoded
        decodeAll(&input, frameCount: frameCount)
    }
}

@inline(never)
func encodeDecodeLoop(_ n: Int, _ buffer: inout ByteBuffer, _ encode: (inout ByteBuffer) -> Void, frameCount: Int) {
    for _ in 0..<n {
        buffer.clear()
        encode(&buffer)
        decodeAll(&buffer, frameCount: frameCount)
    }
}

// MARK: - Main

let options = Options(CommandLine.arguments)
/// The decoder's string cache; one for the run, as one for a connection. Used by this thread only.
nonisolated(unsafe) let stringCache = options.stringCache ? AMQPStringCache() : nil
if hare_malloc_counter_active() == 0 {
    printToStandardError("warning: malloc counter is not active; allocations will read 0\n")
}

func printToStandardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}

if options.dump {
    for scenario in scenarios {
        var encoded = ByteBufferAllocator().buffer(capacity: 4096)
        scenario.encode(&encoded)
        let hex = encoded.readableBytesView.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
        print("\(scenario.name)\t\(hex)")
    }
    exit(0)
}

var results: [Result] = []
for scenario in scenarios {
    // Self-check: the frame set round-trips to what was meant.
    var encoded = ByteBufferAllocator().buffer(capacity: 4096)
    scenario.encode(&encoded)
    do {
        var check = encoded
        for frame in expectedFrames(scenario) {
            let decoded = try parser.parse(&check)
            precondition(decoded == frame, "\(scenario.name): decoded \(String(describing: decoded)), expected \(frame)")
        }
        precondition(check.readableBytes == 0, "\(scenario.name): \(check.readableBytes) bytes left over")
    } catch {
        fatalError("\(scenario.name): \(error)")
    }

    let encodeName = "\(scenario.name)/encode"
    let decodeName = "\(scenario.name)/decode"
    let bothName = "\(scenario.name)/encode+decode"
    let frameCount = scenario.frameCount
    let encode = scenario.encode

    if options.selects(encodeName) {
        let buffer = Workspace()
        results.append(measure(encodeName, options) { n in encodeLoop(n, &buffer.bytes, encode) })
        precondition(buffer.bytes == encoded)
    }
    if options.selects(decodeName) {
        results.append(measure(decodeName, options) { n in decodeLoop(n, encoded, frameCount: frameCount) })
    }
    if options.selects(bothName) {
        let buffer = Workspace()
        results.append(measure(bothName, options) { n in encodeDecodeLoop(n, &buffer.bytes, encode, frameCount: frameCount) })
    }
    blackHole(encoded)
}

func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return right ? padding + text : text + padding
}

func format(_ value: Double, decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = "\(rounded)"
    if let dot = text.firstIndex(of: ".") {
        let have = text.distance(from: dot, to: text.endIndex) - 1
        if have < decimals { text += String(repeating: "0", count: decimals - have) }
    } else if decimals > 0 {
        text += "." + String(repeating: "0", count: decimals)
    }
    return text
}

if options.tsv {
    for result in results {
        print("hare\t\(result.name)\t\(format(result.nanosecondsPerOp, decimals: 1))\t\(format(result.allocationsPerOp, decimals: 2))")
    }
} else {
    print("\(pad("benchmark", 34)) \(pad("ns/op", 10, right: true)) \(pad("allocs/op", 10, right: true)) \(pad("iterations", 11, right: true))")
    for result in results {
        print(
            "\(pad(result.name, 34)) \(pad(format(result.nanosecondsPerOp, decimals: 1), 10, right: true)) "
                + "\(pad(format(result.allocationsPerOp, decimals: 2), 10, right: true)) \(pad(String(result.iterations), 11, right: true))"
        )
    }
}
