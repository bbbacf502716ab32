import AMQPProtocol
import Hare
import Testing
import HareTestSupport

/// The async/await face (`Connection` / `Channel`) behind the scenario protocols.
enum AsyncFace: TestFace {
    static let name = "async"

    static func connect(_ parameters: ConnectionParameters, timeout: Double) async throws -> AsyncConnection {
        try await AsyncConnection.open(parameters, timeout: timeout)
    }
}

/// A `Connection` whose end and blocked notices feed mailboxes the test awaits.
final class AsyncConnection: FaceConnection {
    /// The connection under test.
    let connection: Hare.Connection
    let closes = Mailbox<any Error>("the connection's end (closed())")
    let notices = Mailbox<ConnectionNotice>("connection.blocked / unblocked")

    init(connection: Hare.Connection) {
        self.connection = connection
        let closes = closes, notices = notices
        let stream = connection.blockedNotices
        Task {
            for await notice in stream {
                switch notice {
                case .blocked(let reason): notices.put(.blocked(reason: reason))
                case .unblocked: notices.put(.unblocked)
                }
            }
        }
        Task { closes.put(await connection.closed()) }
    }

    static func open(_ parameters: ConnectionParameters, timeout: Double = 15) async throws -> AsyncConnection {
        let connection = try await withTimeout(timeout, "the connection to open") {
            // The scenarios shared by the three faces check what a lost connection reports, as
            // Pika does; recovery (on by default here) has its own suite, ResilienceTests.
            try await Hare.Connection.connect(parameters, recovery: .disabled)
        }
        return AsyncConnection(connection: connection)
    }

    var isOpen: Bool { connection.isOpen }

    func openChannel() async throws -> AsyncChannel {
        let connection = connection
        return AsyncChannel(channel: try await withTimeout(10, "a channel to open") { try await connection.channel() })
    }

    func close() async throws -> any Error {
        let connection = connection
        try await withTimeout(10, "connection.close") { try await connection.close() }
        return try await closes.next(timeout: 10)
    }

    func closeReason(timeout: Double) async throws -> any Error {
        try await closes.next(timeout: timeout)
    }

    func nextNotice(timeout: Double) async throws -> ConnectionNotice {
        try await notices.next(timeout: timeout)
    }

    func shutdown() async {
        let connection = connection
        if connection.isOpen {
            _ = try? await withTimeout(10, "connection.close") { try await connection.close() }
        }
    }
}
