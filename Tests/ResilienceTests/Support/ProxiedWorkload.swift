import Foundation
import Hare
import HareTestSupport
import NIOCore
import NIOPosix

/// The fault broker behind a `TCPProxy`: the network faults' plumbing (the proxy in front of the
/// node, parameters through it, a port nobody listens on, the memory alarm switch).
enum ProxiedBroker {
    /// Runs `body` with a proxy in front of the fault broker and stops the proxy afterwards (also
    /// when `body` throws).
    static func withProxy<Result>(_ body: (TCPProxy) async throws -> Result) async throws -> Result {
        try await FaultBroker.ensureRunning()
        let direct = try FaultBroker.parameters(name: "proxy-target")
        return try await TCPProxy.with(targetHost: direct.host, targetPort: direct.port, body)
    }

    /// The fault broker's parameters named `name`, pointed at `proxy` instead.
    static func parameters(
        name: String, through proxy: TCPProxy, _ adjust: (inout ConnectionParameters) -> Void = { _ in }
    ) throws -> ConnectionParameters {
        try FaultBroker.parameters(name: name) { parameters in
            parameters.host = "127.0.0.1"
            parameters.port = proxy.port
            adjust(&parameters)
        }
    }

    /// A port on 127.0.0.1 that refuses connections: bound to find a free one, then closed.
    static func closedPort() async throws -> Int {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let port = listener.localAddress?.port
        try await listener.close()
        guard let port else { throw ScenarioFailure("the probe listener had no port") }
        return port
    }

    /// Runs `body` while the fault broker's memory alarm is on (vm_memory_high_watermark 0), and
    /// always puts the watermark back to 0.4 afterwards, waiting until the alarm has cleared.
    static func withMemoryAlarm<Result>(_ body: () async throws -> Result) async throws -> Result {
        let result: Result
        do {
            try await FaultBroker.ctl("set_vm_memory_high_watermark", "0")
            try await waitForAlarm(on: true)
            result = try await body()
        } catch {
            try? await clearMemoryAlarm()
            throw error
        }
        try await clearMemoryAlarm()
        return result
    }

    /// Puts the watermark back to 0.4 and waits (at most 30 s) for the alarm to clear.
    static func clearMemoryAlarm() async throws {
        try await FaultBroker.ctl("set_vm_memory_high_watermark", "0.4")
        try await waitForAlarm(on: false)
    }

    /// Waits (at most 30 s) until the node's memory alarm is `on` (or off).
    private static func waitForAlarm(on: Bool) async throws {
        let start = Date()
        while true {
            let alarms = try await FaultBroker.ctl("eval", "rabbit_alarm:get_alarms().")
            if alarms.contains("memory") == on { return }
            guard Date().timeIntervalSince(start) < 30 else {
                throw TestTimeout(what: "the memory alarm to be \(on ? "raised" : "cleared") (alarms: \(alarms))", seconds: 30)
            }
            try await pause(0.2)
        }
    }
}

extension TCPProxy {
    /// Cuts the next `count` new connections at `step` of the handshake, then lets connections
    /// through again: returns a task that ends once `count` connections were cut (it throws when
    /// that takes longer than `timeout` seconds; the cut is switched off either way).
    func cutNextHandshakes(at step: HandshakeCut, count: Int, timeout: Double = 20) -> Task<Void, any Error> {
        let base = cutConnections
        handshakeCut = step
        return Task {
            defer { handshakeCut = nil }
            try await waitUntil("\(count) connections cut \(step)", timeout: timeout) { cutConnections >= base + count }
        }
    }
}

/// The errors inside `error`: those of every attempt of a workflow, or itself.
func leafErrors(_ error: any Error) -> [any Error] {
    if let workflow = error as? AMQPConnectionWorkflowFailed { return workflow.errors.flatMap { leafErrors($0) } }
    return [error]
}
