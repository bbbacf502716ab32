import Hare
import NIOCore

/// A channel on a connection, opened with the callback face (each connection runs on one loop
/// of the run's group, where the producers and consumers of its channels do all their work).
struct PerfEndpoint: Sendable {
    let connection: SelectConnection
    let channel: SelectChannel

    /// How long opening, or one call, may take before the run gives up with `PerfTimeout`.
    static let callTimeout: Double = 60

    /// Opens a connection and a channel on it.
    static func open(_ parameters: URLParameters, on group: any EventLoopGroup) async throws -> PerfEndpoint {
        let connection = try await connect(parameters, on: group)
        do {
            return try await open(on: connection)
        } catch {
            await close(connection)
            throw error
        }
    }

    /// Opens a connection (no channel yet).
    static func connect(_ parameters: URLParameters, on group: any EventLoopGroup) async throws -> SelectConnection {
        let opened = ResumeOnce<Void>()
        let connection = SelectConnection(
            parameters: parameters,
            onOpen: { _ in opened.resume(.success(())) },
            onOpenError: { _, error in opened.resume(.failure(error)) },
            eventLoopGroup: group
        )
        do {
            try await opened.wait(seconds: callTimeout)
            return connection
        } catch {
            connection.close()
            throw error
        }
    }

    /// Opens another channel on `connection` (a connection carries any number of producer and
    /// consumer channels).
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

    /// Closes the endpoint's connection (all of its channels) and waits until it has closed (at
    /// most `seconds`).
    func close(seconds: Double = 10) async {
        await Self.close(connection, seconds: seconds)
    }

    /// Closes `connection` and waits until it has closed (at most `seconds`).
    static func close(_ connection: SelectConnection, seconds: Double = 10) async {
        guard !connection.isClosed else { return }
        let closed = ResumeOnce<Void>()
        connection.addOnCloseCallback { _, _ in closed.resume(.success(())) }
        connection.close()
        _ = try? await closed.wait(seconds: seconds)
    }
}
