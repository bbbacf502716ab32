// Publishing and consuming through each of Hare's faces, against a real broker: what a task's
// `try await channel.basicPublish(...)` in a loop, or a script's blocking `basicPublish`, costs
// per message. `hare perf` measures the
// callback face on its loop; this measures the faces as applications call them, from their own
// tasks and threads.
//
// Usage: faces-benchmark [--count N] [--url URL] [WORKLOAD...]
//   async-publish      one task: `try await channel.basicPublish` N times (no confirms)
//   async-confirm      `publish` (confirm mode) with 1000 in flight from a task group
//   async-confirm-stream  `basicPublish` in confirm mode from one task, 1000 unconfirmed at
//                      most, the confirms read from `publisherConfirms()` by another
//   async-confirm-stream-mandatory  the same with every message mandatory (routable: none
//                      comes back; the channel keeps each for return matching until its ack)
//   async-consume      a `Consumer` sequence over N queued messages, prefetch 1000, a multiple
//                      ack every 100
//   async-consume-ack  the same, each message acked on its own (`delivery.ack()`)
//   async-consume-main-actor  async-consume with the loop on the main actor (as in a
//                      command-line tool's `main`)
//   async-consume-on-loop  async-consume in an actor that runs on the connection's event loop
//                      (its executor is `connection.eventLoop.executor`)
//   async-rpc-main-actor  N / 10 sequential round trips (a passive queue.declare each) from
//                      the main actor; its figures are per round trip
//   blocking-rpc       the same round trips from a thread through `BlockingChannel`
//   blocking-publish   one thread: `BlockingChannel.basicPublish` N times (no confirms; the
//                      callback face's `basicPublish` called off its loop takes the same path)
//   blocking-consume   one thread iterating `BlockingChannel.consume` over N queued messages,
//                      prefetch 1000, a multiple ack every 100
// Each publish run ends with a round trip on its channel (a passive queue.declare), so every
// message reached the broker. Prints, per workload: msg/s and client CPU seconds per 100k
// messages (getrusage over the timed part). The URL defaults to HARE_TEST_URL or
// amqp://guest:guest@127.0.0.1:5672/.
import Dispatch
import Hare
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

struct Measurement {
    var seconds: Double
    var cpuSeconds: Double
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func seconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Times `body` (wall clock and this process's CPU).
func measure(_ body: () async throws -> Void) async rethrows -> Measurement {
    let cpu = cpuSeconds(), start = seconds()
    try await body()
    return Measurement(seconds: seconds() - start, cpuSeconds: cpuSeconds() - cpu)
}

/// Times `body` on the calling thread (wall clock and this process's CPU).
func measureBlocking(_ body: () throws -> Void) rethrows -> Measurement {
    let cpu = cpuSeconds(), start = seconds()
    try body()
    return Measurement(seconds: seconds() - start, cpuSeconds: cpuSeconds() - cpu)
}

extension Measurement {
    /// `count / 10` round trips measured, scaled to the table's N, so that its columns read per
    /// round trip.
    var perRoundTrip: Measurement { Measurement(seconds: seconds * 10, cpuSeconds: cpuSeconds * 10) }
}

/// Runs blocking `body` on a thread outside Swift concurrency's pool, as a script would.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

let body = ByteBuffer(repeating: 0x61, count: 16)

func asyncPublish(_ url: URLParameters, count: Int, confirm: Bool) async throws -> Measurement {
    let connection = try await Connection.connect(url)
    let channel = try await connection.channel()
    let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
    if confirm { try await channel.confirmSelect() }
    let result = try await measure {
        if confirm {
            try await withThrowingTaskGroup(of: Void.self) { group in
                var started = 0
                while started < min(1000, count) {
                    group.addTask { try await channel.publish(exchange: "", routingKey: queue, body: body) }
                    started += 1
                }
                while try await group.next() != nil, started < count {
                    group.addTask { try await channel.publish(exchange: "", routingKey: queue, body: body) }
                    started += 1
                }
            }
        } else {
            for _ in 0..<count { try await channel.basicPublish(exchange: "", routingKey: queue, body: body) }
        }
        _ = try await channel.queueDeclare(queue: queue, passive: true)
    }
    try await connection.close()
    return result
}

/// One task publishes with `basicPublish` in confirm mode, keeping at most 1000 messages
/// unconfirmed; another reads `publisherConfirms()` and lets it go on. Timed until the last
/// message's confirm.
func asyncConfirmStream(_ url: URLParameters, count: Int, mandatory: Bool) async throws -> Measurement {
    let connection = try await Connection.connect(url)
    let channel = try await connection.channel()
    let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
    try await channel.confirmSelect()
    let confirms = channel.publisherConfirms()
    let window = AsyncStream<Int>.makeStream()
    let result = try await measure {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var confirmed = 0
                for await confirm in confirms {
                    guard confirm.isAck else { throw NackedInBenchmark() }
                    confirmed += confirm.deliveryTags.count
                    window.continuation.yield(confirmed)
                    if confirmed >= count { break }
                }
                window.continuation.finish()
            }
            var confirmed = 0
            var credits = window.stream.makeAsyncIterator()
            for published in 0..<count {
                while published - confirmed >= 1000 {
                    guard let next = await credits.next() else { throw NackedInBenchmark() }
                    confirmed = next
                }
                try await channel.basicPublish(exchange: "", routingKey: queue, body: body, mandatory: mandatory)
            }
            try await group.waitForAll()
        }
    }
    try await connection.close()
    return result
}

struct NackedInBenchmark: Error {}

/// Where a consumer loop runs.
enum ConsumerPlace {
    /// A task on the global executor.
    case task
    /// The main actor, as in a command-line tool's `main`.
    case mainActor
    /// An actor that runs on the connection's event loop.
    case eventLoop
}

/// Consumes N queued messages (prefetch 1000) with the loop at `place`: a multiple ack every
/// 100, or with `ackEach` an ack per message.
func asyncConsume(_ url: URLParameters, count: Int, ackEach: Bool, at place: ConsumerPlace = .task) async throws -> Measurement {
    let connection = try await Connection.connect(url)
    let channel = try await connection.channel()
    let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
    for _ in 0..<count { try await channel.basicPublish(exchange: "", routingKey: queue, body: body) }
    while try await channel.queueDeclare(queue: queue, passive: true).messageCount < count {
        try await Task.sleep(for: .milliseconds(20))
    }
    try await channel.basicQos(prefetchCount: 1000)
    let consumer = try await channel.basicConsume(queue: queue)
    let worker = LoopBound(connection)
    let result = try await measure {
        switch place {
        case .task: try await consumeLoop(consumer, on: channel, count: count, ackEach: ackEach)
        case .mainActor: try await consumeOnMainActor(consumer, on: channel, count: count, ackEach: ackEach)
        case .eventLoop: try await worker.consume(consumer, on: channel, count: count, ackEach: ackEach)
        }
    }
    try await connection.close()
    return result
}

/// A consumer loop, in the isolation of its caller.
func consumeLoop(
    _ consumer: Consumer, on channel: Hare.Channel, count: Int, ackEach: Bool, isolation: isolated (any Actor)? = #isolation
) async throws {
    var received = 0
    for try await delivery in consumer {
        received += 1
        if ackEach {
            try await delivery.ack()
        } else if received % 100 == 0 || received == count {
            try await channel.basicAck(deliveryTag: delivery.deliveryTag, multiple: true)
        }
        if received == count { break }
    }
}

/// Runs on the connection's event loop: its awaits on Hare's calls and on the consumer resume
/// there without a thread switch.
actor LoopBound {
    let connection: Connection
    nonisolated var unownedExecutor: UnownedSerialExecutor { connection.eventLoop.executor.asUnownedSerialExecutor() }

    init(_ connection: Connection) { self.connection = connection }

    func consume(_ consumer: Consumer, on channel: Hare.Channel, count: Int, ackEach: Bool) async throws {
        try await consumeLoop(consumer, on: channel, count: count, ackEach: ackEach)
    }
}

@MainActor
func consumeOnMainActor(_ consumer: Consumer, on channel: Hare.Channel, count: Int, ackEach: Bool) async throws {
    try await consumeLoop(consumer, on: channel, count: count, ackEach: ackEach)
}

/// `count` sequential round trips from the main actor.
@MainActor
func asyncRPCOnMainActor(_ url: URLParameters, count: Int) async throws -> Measurement {
    let connection = try await Connection.connect(url)
    let channel = try await connection.channel()
    let queue = try await channel.queueDeclare(queue: "", exclusive: true).queue
    let cpu = cpuSeconds(), start = seconds()
    for _ in 0..<count { _ = try await channel.queueDeclare(queue: queue, passive: true) }
    let result = Measurement(seconds: seconds() - start, cpuSeconds: cpuSeconds() - cpu).perRoundTrip
    try await connection.close()
    return result
}

/// Runs `body` on a thread of its own (as a script would) with a blocking connection, a channel
/// and an exclusive queue; closes the connection after it.
func withBlockingQueue(
    _ url: URLParameters, _ body: @escaping @Sendable (BlockingConnection, BlockingChannel, String) throws -> Measurement
) async throws -> Measurement {
    try await onThread {
        let connection = try BlockingConnection(url)
        let channel = try connection.channel()
        let queue = try channel.queueDeclare(queue: "", exclusive: true).queue
        let result = try body(connection, channel, queue)
        try connection.close()
        return result
    }
}

/// `count` sequential round trips from a thread.
func blockingRPC(_ url: URLParameters, count: Int) async throws -> Measurement {
    try await withBlockingQueue(url) { _, channel, queue in
        try measureBlocking {
            for _ in 0..<count { _ = try channel.queueDeclare(queue: queue, passive: true) }
        }.perRoundTrip
    }
}

func blockingPublish(_ url: URLParameters, count: Int) async throws -> Measurement {
    try await withBlockingQueue(url) { _, channel, queue in
        try measureBlocking {
            for _ in 0..<count { try channel.basicPublish(exchange: "", routingKey: queue, body: body) }
            _ = try channel.queueDeclare(queue: queue, passive: true)
        }
    }
}

func blockingConsume(_ url: URLParameters, count: Int) async throws -> Measurement {
    try await withBlockingQueue(url) { connection, channel, queue in
        for _ in 0..<count { try channel.basicPublish(exchange: "", routingKey: queue, body: body) }
        while try channel.queueDeclare(queue: queue, passive: true).messageCount < count {
            try connection.sleep(0.02)
        }
        try channel.basicQos(prefetchCount: 1000)
        return try measureBlocking {
            var received = 0
            for case let (deliver, _, _)? in try channel.consume(queue: queue) {
                received += 1
                if received % 100 == 0 || received == count {
                    try channel.basicAck(deliveryTag: deliver.deliveryTag, multiple: true)
                }
                if received == count { break }
            }
        }
    }
}

// MARK: - Main

let workloads = ["async-publish", "async-confirm", "async-confirm-stream", "async-confirm-stream-mandatory", "async-consume", "async-consume-ack", "async-consume-main-actor", "async-consume-on-loop", "async-rpc-main-actor", "blocking-rpc", "blocking-publish", "blocking-consume"]
var count = 100_000
var url = getenv("HARE_TEST_URL").map { String(cString: $0) } ?? "amqp://guest:guest@127.0.0.1:5672/"
var selected: [String] = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--count": count = arguments.popFirst().flatMap { Int($0) } ?? count
    case "--url": url = arguments.popFirst() ?? url
    case _ where workloads.contains(argument): selected.append(argument)
    default:
        print("usage: faces-benchmark [--count N] [--url URL] [\(workloads.joined(separator: "|"))...]")
        exit(2)
    }
}
if selected.isEmpty { selected = workloads }
let parameters = try URLParameters(url)
print("| workload | msg/s | client CPU s / 100k |")
print("| --- | ---: | ---: |")
for workload in selected {
    let result: Measurement
    switch workload {
    case "async-publish": result = try await asyncPublish(parameters, count: count, confirm: false)
    case "async-confirm": result = try await asyncPublish(parameters, count: count, confirm: true)
    case "async-confirm-stream": result = try await asyncConfirmStream(parameters, count: count, mandatory: false)
    case "async-confirm-stream-mandatory": result = try await asyncConfirmStream(parameters, count: count, mandatory: true)
    case "async-consume": result = try await asyncConsume(parameters, count: count, ackEach: false)
    case "async-consume-ack": result = try await asyncConsume(parameters, count: count, ackEach: true)
    case "async-consume-main-actor": result = try await asyncConsume(parameters, count: count, ackEach: false, at: .mainActor)
    case "async-consume-on-loop": result = try await asyncConsume(parameters, count: count, ackEach: false, at: .eventLoop)
    case "async-rpc-main-actor": result = try await asyncRPCOnMainActor(parameters, count: count / 10)
    case "blocking-rpc": result = try await blockingRPC(parameters, count: count / 10)
    case "blocking-publish": result = try await blockingPublish(parameters, count: count)
    default: result = try await blockingConsume(parameters, count: count)
    }
    let rate = Int((Double(count) / result.seconds).rounded())
    let cpu = (result.cpuSeconds / Double(count) * 100_000 * 1000).rounded() / 1000
    print("| \(workload) | \(rate) | \(cpu) |")
}
