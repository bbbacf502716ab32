import AMQPProtocol
import Hare
import Testing
import HareTestSupport

/// The callback face (`SelectConnection` / `SelectChannel`) behind the scenario protocols.
enum CallbackFace: TestFace {
    static let name = "callback"

    static func connect(_ parameters: ConnectionParameters, timeout: Double) async throws -> CallbackConnection {
        try await CallbackConnection.open(parameters, timeout: timeout)
    }
}

/// A `SelectConnection` whose callbacks feed mailboxes the test awaits. Every callback is checked
/// to run on the connection's loop.
final class CallbackConnection: FaceConnection {
    /// The connection under test.
    let connection: SelectConnection
    let checker: LoopChecker
    /// What onClose received, in order.
    let closes: Mailbox<any Error>
    let notices: Mailbox<ConnectionNotice>

    private init(connection: SelectConnection, checker: LoopChecker, closes: Mailbox<any Error>) {
        self.connection = connection
        self.checker = checker
        self.closes = closes
        let notices = Mailbox<ConnectionNotice>("connection.blocked / unblocked")
        self.notices = notices
        connection.addOnConnectionBlockedCallback { connection, blocked in
            checker.check(connection.ioloop.eventLoop, "connection blocked")
            notices.put(.blocked(reason: blocked.reason))
        }
        connection.addOnConnectionUnblockedCallback { connection, _ in
            checker.check(connection.ioloop.eventLoop, "connection unblocked")
            notices.put(.unblocked)
        }
    }

    /// Opens a `SelectConnection` and waits for onOpen; throws what onOpenError received.
    static func open(_ parameters: ConnectionParameters, timeout: Double = 15) async throws -> CallbackConnection {
        let checker = LoopChecker()
        let closes = Mailbox<any Error>("onClose")
        let created = Locked<SelectConnection?>(nil)
        let opened: SelectConnection
        do {
            opened = try await awaitCallback("the connection to open (onOpen or onOpenError)", timeout: timeout) { done in
                let connection = SelectConnection(
                    parameters: parameters,
                    onOpen: { connection in
                        checker.check(connection.ioloop.eventLoop, "onOpen")
                        done(.success(connection))
                    },
                    onOpenError: { connection, error in
                        checker.check(connection.ioloop.eventLoop, "onOpenError")
                        done(.failure(error))
                    },
                    onClose: { connection, error in
                        checker.check(connection.ioloop.eventLoop, "onClose")
                        closes.put(error)
                    }
                )
                created.withLock { $0 = connection }
            }
        } catch {
            if let connection = created.value {
                connection.close()
                connection.ioloop.close()
            }
            checker.verify()
            throw error
        }
        return CallbackConnection(connection: opened, checker: checker, closes: closes)
    }

    var isOpen: Bool { connection.isOpen }

    func openChannel() async throws -> CallbackChannel {
        let checker = checker
        let channel: SelectChannel = try await awaitCallback("a channel to open") { done in
            connection.channel { channel in
                checker.check(channel.connection.ioloop.eventLoop, "channel onOpen")
                done(.success(channel))
            }
        }
        return CallbackChannel(channel: channel, checker: checker)
    }

    func close() async throws -> any Error {
        connection.close()
        return try await closes.next(timeout: 10)
    }

    func closeReason(timeout: Double) async throws -> any Error {
        try await closes.next(timeout: timeout)
    }

    func nextNotice(timeout: Double) async throws -> ConnectionNotice {
        try await notices.next(timeout: timeout)
    }

    func shutdown() async {
        if !connection.isClosed {
            connection.close()
            _ = try? await closes.next(timeout: 10)
        }
        connection.ioloop.close()
        checker.verify()
    }
}
