import Hare
import NIOCore

/// A connection with one channel, opened with the callback face (each runs on one loop of the
/// run's group, where its producer or consumer does all its work).
struct PerfEndpoint: Sendable {
    let connection: SelectConnection
    let channel: SelectChannel

    /// How long opening, or one call, may take before the run gives up with `PerfTimeout`.
    static let callTimeout: Double = 60

    /// Opens a connection and a channel on it.
    static func open(_ parameters: URLParameters, on group: any EventLoopGroup) async throws -> PerfEndpoint {
        let opened = ResumeOnce<Void>()
        let connection = SelectConnection(
            parameters: parameters,
            onOpen: { _ in opened.resume(.success(())) },
            onOpenError: { _, error in opened.resume(.failure(error)) },
            eventLoopGroup: group
        )
        do {
            try await opened.wait(seconds: callTimeout)
            return try await open(on: connection)
        } catch {
            connection.close()
            throw error
        }
    }

    /// Opens another channel on `connection` (sequential round trips publish and consume on one
    /// connection, as an RPC client does: no hop between threads).
    static func open(on connection: SelectConnection) async throws -> PerfEndpoint {
        let channel = ResumeOnce<SelectChannel>()
        connection.channel(onOpen: { channel.resume(.success($0)) }, onOpenError: { channel.resume(.failure($0)) })
        return PerfEndpoint(connection: connection, channel: try await channel.wait(seconds: callTimeout))
    }

    /// Calls a channel method with a completion and waits for it (at most `timeout` seconds).
    func call<Reply: Sendable>(
        timeout: Double = callTimeout, _ start: (SelectChannel, @escaping (Result<Reply, any Error>) -> Void) -> Void
    ) async throws -> Reply {
        let reply = ResumeOnce<Reply>()
        start(channel) { reply.resume($0) }
        return try await reply.wait(seconds: timeout)
    }

    /// Closes the connection and waits until it has closed (at most `seconds`).
    func close(seconds: Double = 10) async {
        let closed = ResumeOnce<Void>()
        connection.addOnCloseCallback { _, _ in closed.resume(.success(())) }
        connection.close()
        _ = try? await closed.wait(seconds: seconds)
    }
}
