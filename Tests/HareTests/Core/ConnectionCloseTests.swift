import AMQPProtocol
import NIOCore
import Testing

@testable import Hare

@Suite("Connection machine: closing in both directions")
struct ConnectionCloseTests {
    typealias F = MachineFixtures

    struct IOFailure: Error, Equatable {}

    // MARK: The broker closes

    @Test("broker close at awaitingStart is ConnectionClosedByBroker, answered with close-ok")
    func brokerCloseAwaitingStart() throws {
        var machine = F.connection(at: .awaitingStart)
        let action = machine.received(F.brokerClose(320, "CONNECTION_FORCED - shutdown"))
        let error = try #require(action.closeOkAndShutdownError as? ConnectionClosedByBroker, "got \(action.name)")
        #expect(error == ConnectionClosedByBroker(replyCode: 320, replyText: "CONNECTION_FORCED - shutdown"))
        #expect(machine.isClosed)
    }

    @Test("403 during awaitingTune is ProbableAuthenticationError, answered with close-ok")
    func brokerClose403AwaitingTune() throws {
        var machine = F.connection(at: .awaitingTune)
        let text = "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN"
        let action = machine.received(F.brokerClose(403, text, classID: 10, methodID: 11))
        let error = try #require(action.closeOkAndShutdownError as? ProbableAuthenticationError, "got \(action.name)")
        #expect(error.reason == text)
        #expect(machine.isClosed)
        #expect(F.stateError(machine.state) is ProbableAuthenticationError)
    }

    @Test("another code during awaitingTune is ConnectionClosedByBroker")
    func brokerCloseOtherAwaitingTune() throws {
        var machine = F.connection(at: .awaitingTune)
        let action = machine.received(F.brokerClose(320, "CONNECTION_FORCED"))
        let error = try #require(action.closeOkAndShutdownError as? ConnectionClosedByBroker, "got \(action.name)")
        #expect(error.replyCode == 320)
    }

    @Test("530 or 403 during awaitingOpenOk is ProbableAccessDeniedError", arguments: [UInt16(530), 403])
    func brokerCloseAccessDenied(code: UInt16) throws {
        var machine = F.connection(at: .awaitingOpenOk)
        let text = "NOT_ALLOWED - vhost nope not found"
        let action = machine.received(F.brokerClose(code, text, classID: 10, methodID: 40))
        let error = try #require(action.closeOkAndShutdownError as? ProbableAccessDeniedError, "got \(action.name)")
        #expect(error.reason == text)
        #expect(machine.isClosed)
        #expect(machine.limits == nil)
    }

    @Test("another code during awaitingOpenOk is ConnectionClosedByBroker")
    func brokerCloseOtherAwaitingOpenOk() throws {
        var machine = F.connection(at: .awaitingOpenOk)
        let action = machine.received(F.brokerClose(541, "INTERNAL_ERROR"))
        let error = try #require(action.closeOkAndShutdownError as? ConnectionClosedByBroker, "got \(action.name)")
        #expect(error.replyCode == 541)
    }

    @Test("broker close when open is ConnectionClosedByBroker with class and method")
    func brokerCloseOpen() throws {
        var machine = F.connection(at: .open)
        let action = machine.received(F.brokerClose(503, "COMMAND_INVALID - unknown exchange type 'x'", classID: 40, methodID: 10))
        let error = try #require(action.closeOkAndShutdownError as? ConnectionClosedByBroker, "got \(action.name)")
        #expect(error == ConnectionClosedByBroker(
            replyCode: 503, replyText: "COMMAND_INVALID - unknown exchange type 'x'", classID: 40, methodID: 10
        ))
        #expect(machine.isClosed)
        #expect(!machine.isOpen)
        #expect(machine.limits == nil)
    }

    @Test("403 when open is not an authentication error")
    func brokerClose403Open() throws {
        var machine = F.connection(at: .open)
        let action = machine.received(F.brokerClose(403, "ACCESS_REFUSED"))
        #expect(action.closeOkAndShutdownError is ConnectionClosedByBroker, "got \(action.name)")
    }

    @Test("broker close while our close waits for close-ok (a collision) is answered with close-ok")
    func brokerCloseWhileClosing() throws {
        var machine = F.connection(at: .open)
        _ = try #require(machine.close(replyCode: 200, replyText: "Normal shutdown").sentClose)
        let action = machine.received(F.brokerClose(320, "CONNECTION_FORCED"))
        let error = try #require(action.closeOkAndShutdownError as? ConnectionClosedByBroker, "got \(action.name)")
        #expect(error.replyCode == 320)
        #expect(machine.isClosed)
    }

    @Test("broker close after the connection closed is ignored")
    func brokerCloseWhenClosed() {
        var machine = F.connection(at: .open)
        _ = machine.received(F.brokerClose(320, "first"))
        #expect(machine.received(F.brokerClose(320, "second")).isNone)
        #expect(machine.received(.connectionCloseOk(AMQP.Connection.CloseOk())).isNone)
        #expect(machine.received(F.start()).isNone)
        #expect((F.stateError(machine.state) as? ConnectionClosedByBroker)?.replyText == "first")
    }

    // MARK: The stream ends

    @Test("the stream ending before the header is StreamLostError with the I/O error")
    func streamClosedInitial() throws {
        var machine = F.connection(at: .initial)
        let action = machine.streamClosed(ioError: IOFailure())
        let error = try #require(action.shutdownError as? StreamLostError, "got \(action.name)")
        #expect(error.underlying is IOFailure)
        #expect(machine.isClosed)
    }

    @Test("the stream ending in awaitingStart is IncompatibleProtocolError")
    func streamClosedAwaitingStart() throws {
        var machine = F.connection(at: .awaitingStart)
        let action = machine.streamClosed(ioError: nil)
        _ = try #require(action.shutdownError as? IncompatibleProtocolError, "got \(action.name)")
        #expect(machine.isClosed)
    }

    @Test("the stream failing with an I/O error in awaitingStart is StreamLostError, not a protocol mismatch")
    func streamFailedAwaitingStart() throws {
        var machine = F.connection(at: .awaitingStart)
        let action = machine.streamClosed(ioError: IOFailure())
        let error = try #require(action.shutdownError as? StreamLostError, "got \(action.name)")
        #expect(error.underlying is IOFailure)
        #expect(machine.isClosed)
    }

    @Test("the stream ending in awaitingTune is ProbableAuthenticationError naming the mechanism")
    func streamClosedAwaitingTune() throws {
        var machine = F.connection(at: .awaitingTune)
        let action = machine.streamClosed(ioError: nil)
        let error = try #require(action.shutdownError as? ProbableAuthenticationError, "got \(action.name)")
        #expect(error.reason.contains("PLAIN"))
        #expect(!error.reason.contains("guest"))
    }

    @Test("the stream ending in awaitingOpenOk is ProbableAccessDeniedError naming the vhost")
    func streamClosedAwaitingOpenOk() throws {
        var machine = F.connection(at: .awaitingOpenOk, configuration: F.configuration(virtualHost: "orders"))
        let action = machine.streamClosed(ioError: nil)
        let error = try #require(action.shutdownError as? ProbableAccessDeniedError, "got \(action.name)")
        #expect(error.reason.contains("'orders'"))
    }

    @Test("a reset or read error in awaitingTune or awaitingOpenOk is StreamLostError, not a refusal")
    func streamFailedDuringHandshake() throws {
        for step in [F.Step.awaitingTune, .awaitingOpenOk] {
            var machine = F.connection(at: step)
            let action = machine.streamClosed(ioError: IOFailure())
            let error = try #require(action.shutdownError as? StreamLostError, "got \(action.name)")
            #expect(error.underlying != nil)
        }
    }

    @Test("the stream ending when open is StreamLostError with the I/O error")
    func streamClosedOpen() throws {
        var machine = F.connection(at: .open)
        let action = machine.streamClosed(ioError: IOFailure())
        let error = try #require(action.shutdownError as? StreamLostError, "got \(action.name)")
        #expect(error.underlying is IOFailure)
        #expect(machine.isClosed)
        #expect(!machine.isOpen)
    }

    @Test("the stream ending when open without an I/O error has no underlying error")
    func streamClosedOpenCleanly() throws {
        var machine = F.connection(at: .open)
        let error = try #require(machine.streamClosed(ioError: nil).shutdownError as? StreamLostError)
        #expect(error.underlying == nil)
    }

    @Test("the stream ending while closing reports the close we asked for")
    func streamClosedClosing() throws {
        var machine = F.connection(at: .open)
        _ = machine.close(replyCode: 200, replyText: "bye")
        let action = machine.streamClosed(ioError: IOFailure())
        let error = try #require(action.shutdownError as? ConnectionClosedByClient, "got \(action.name)")
        #expect(error == ConnectionClosedByClient(replyCode: 200, replyText: "bye"))
        #expect(machine.isClosed)
    }

    @Test("the stream ending after close is ignored")
    func streamClosedClosed() {
        var machine = F.connection(at: .open)
        _ = machine.received(F.brokerClose(320, "forced"))
        #expect(machine.streamClosed(ioError: IOFailure()).isNone)
        #expect(F.stateError(machine.state) is ConnectionClosedByBroker)
    }

    // MARK: The application closes

    @Test("a client close before open aborts the handshake", arguments: [
        MachineFixtures.Step.initial, .awaitingStart, .awaitingTune, .awaitingOpenOk,
    ])
    func clientCloseBeforeOpen(step: MachineFixtures.Step) throws {
        var machine = F.connection(at: step)
        let action = machine.close(replyCode: 200, replyText: "Normal shutdown")
        let error = try #require(action.shutdownError as? ConnectionClosedByClient, "got \(action.name)")
        #expect(error == ConnectionClosedByClient(replyCode: 200, replyText: "Normal shutdown"))
        #expect(machine.isClosed)
    }

    @Test("a client close when open sends close, then close-ok shuts down")
    func clientCloseOpen() throws {
        var machine = F.connection(at: .open)
        let close = try #require(machine.close(replyCode: 320, replyText: "going away").sentClose)
        #expect(close == AMQP.Connection.Close(replyCode: 320, replyText: "going away", classId: 0, methodId: 0))
        #expect(F.stateName(machine.state) == "closing")
        #expect(!machine.isOpen)
        #expect(!machine.isClosed)

        // A second close, and anything but close and close-ok, is ignored while closing.
        #expect(machine.close(replyCode: 200, replyText: "again").isNone)
        #expect(machine.received(.connectionBlocked(AMQP.Connection.Blocked(reason: "low memory"))).isNone)
        #expect(machine.received(.connectionUnblocked(AMQP.Connection.Unblocked())).isNone)
        #expect(machine.received(F.tune()).isNone)

        let action = machine.received(.connectionCloseOk(AMQP.Connection.CloseOk()))
        let error = try #require(action.shutdownError as? ConnectionClosedByClient, "got \(action.name)")
        #expect(error == ConnectionClosedByClient(replyCode: 320, replyText: "going away"))
        #expect(machine.isClosed)

        #expect(machine.received(.connectionCloseOk(AMQP.Connection.CloseOk())).isNone)
        #expect(machine.close(replyCode: 200, replyText: "late").isNone)
    }

    @Test("close-ok when nothing was closed is a protocol violation (503)")
    func unexpectedCloseOk() throws {
        var machine = F.connection(at: .open)
        let close = try #require(machine.received(.connectionCloseOk(AMQP.Connection.CloseOk())).sentClose)
        #expect(close.replyCode == 503)
    }
}
