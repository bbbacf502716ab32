import Foundation
@testable import HarePerf
import Testing

/// How `hare perf` lays producer and consumer channels out on connections, and what its
/// summary says about them.
@Suite("hare perf: connections, channels and threads")
struct PerfConnectionPlanTests {
    static func plan(_ producers: Int, _ consumers: Int) -> PerfConnectionPlan {
        PerfConnectionPlan(producerChannels: producers, consumerChannels: consumers)
    }

    @Test("by default every producer and every consumer connection is a connection of its own")
    func separateConnections() throws {
        let configuration = PerfConfigurationTests.changed {
            $0.producers = 2; $0.producerChannels = 3; $0.consumers = 1; $0.consumerChannels = 4
        }
        try configuration.validate()
        #expect(configuration.connectionPlan == [Self.plan(3, 0), Self.plan(3, 0), Self.plan(0, 4)])
        #expect(configuration.producerChannelCount == 6)
        #expect(configuration.consumerChannelCount == 4)
        #expect(PerfConfiguration().connectionPlan == [Self.plan(1, 0), Self.plan(0, 1)], "the default: two connections")
    }

    @Test("shared connections: 50 connections of 10 publishing and 10 consuming channels each")
    func sharedConnections() throws {
        let configuration = PerfConfigurationTests.changed {
            $0.producers = 50; $0.producerChannels = 10; $0.consumers = 50; $0.consumerChannels = 10
            $0.sharedConnections = true; $0.rate = 10_000
        }
        try configuration.validate()
        let plan = configuration.connectionPlan
        #expect(plan.count == 50)
        #expect(plan.allSatisfy { $0 == Self.plan(10, 10) })
        #expect(plan.map(\.channels).reduce(0, +) == 1000)
        #expect(configuration.producerChannelCount == 500 && configuration.consumerChannelCount == 500)
    }

    @Test("shared connections with fewer consumer connections: the first ones carry the consumers")
    func fewerConsumers() throws {
        let configuration = PerfConfigurationTests.changed {
            $0.producers = 3; $0.producerChannels = 2; $0.consumers = 2; $0.consumerChannels = 5; $0.sharedConnections = true
        }
        try configuration.validate()
        #expect(configuration.connectionPlan == [Self.plan(2, 5), Self.plan(2, 5), Self.plan(2, 0)])
    }

    @Test("sequential round trips open every consumer channel on the producer's connection")
    func sequential() throws {
        let configuration = PerfConfigurationTests.changed { $0.sequential = true; $0.consumers = 2; $0.consumerChannels = 3 }
        try configuration.validate()
        #expect(configuration.connectionPlan == [Self.plan(1, 6)])
        let shared = PerfConfigurationTests.changed { $0.sequential = true; $0.sharedConnections = true }
        try shared.validate()
        #expect(shared.connectionPlan == [Self.plan(1, 1)])
    }

    @Test("channel counts up to channel_max are accepted, with or without shared connections")
    func channelMaxBoundary() throws {
        try PerfConfigurationTests.changed { $0.producerChannels = 2047; $0.consumerChannels = 2047 }.validate()
        try PerfConfigurationTests.changed {
            $0.url += "?channel_max=20"; $0.sharedConnections = true; $0.producerChannels = 10; $0.consumerChannels = 10
        }.validate()
        try PerfConfigurationTests.changed { $0.producers = 100; $0.producerChannels = 1000 }.validate()
    }

    @Test("the thread count comes from the Threads: line of /proc/self/status")
    func threadCount() {
        #expect(ProcessUsage.threadCount(status: "Name:\thare\nUmask:\t0022\nThreads:\t17\nSigQ:\t0/1\n") == 17)
        #expect(ProcessUsage.threadCount(status: "Name:\thare\n") == nil)
        #expect(ProcessUsage.threadCount(status: "Threads:\tmany\n") == nil)
        #if os(Linux)
        #expect((ProcessUsage.threadCount() ?? 0) >= 1)
        #else
        #expect(ProcessUsage.threadCount() == nil)
        #endif
    }

    static func summary(threads: Int?) -> PerfSummary {
        PerfSummary(
            configuration: PerfConfiguration(), queue: "q", seconds: 2, counts: PerfCounts(sent: 10, received: 10),
            sentRate: 5, confirmedRate: 0, receivedRate: 5, latency: nil, clientCPUSeconds: 0.5,
            clientCPUSecondsPer100k: 5000, peakResidentBytes: 20_000_000, threads: threads, connections: 50,
            channels: 1000, interrupted: false, producerError: nil
        )
    }

    @Test("the summary reports threads, connections and channels, in text and JSON (threads only when known)")
    func summary() throws {
        let text = Self.summary(threads: 12).text
        #expect(text.contains("peak RSS 20.0 MB, 12 threads"))
        #expect(text.contains("50 connections, 1000 channels"))
        #expect(!Self.summary(threads: nil).text.contains("threads"))

        let json = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(Self.summary(threads: 12))) as? [String: Any]
        )
        #expect(json["threads"] as? Int == 12)
        #expect(json["connections"] as? Int == 50)
        #expect(json["channels"] as? Int == 1000)
        for key in ["peakResidentBytes", "clientCPUSeconds", "clientCPUSecondsPer100k", "counts", "seconds", "sentRate"] {
            #expect(json[key] != nil, "key \(key) kept")
        }
        let configuration = try #require(json["configuration"] as? [String: Any])
        #expect(configuration["producerChannels"] as? Int == 1)
        #expect(configuration["producers"] as? Int == 1)
        let unknown = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(Self.summary(threads: nil))) as? [String: Any]
        )
        #expect(unknown["threads"] == nil, "no threads key where the count is unknown")
    }
}
