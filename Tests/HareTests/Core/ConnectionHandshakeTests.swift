import AMQPProtocol
import NIOCore
import Testing

@testable import Hare

@Suite("Connection machine: handshake")
struct ConnectionHandshakeTests {
    typealias F = MachineFixtures

    @Test("the happy path: header, start-ok, tune-ok with open, open-ok")
    func happyPath() throws {
        var machine = ConnectionStateMachine(configuration: F.configuration(virtualHost: "vh1"))
        #expect(machine.limits == nil)
        #expect(!machine.isOpen)

        let connected = machine.connected()
        guard case .sendProtocolHeader = connected else {
            Issue.record("connected() gave \(connected.name), expected sendProtocolHeader")
            return
        }
        #expect(F.stateName(machine.state) == "awaitingStart")

        let startOk = try #require(machine.received(F.start()).sentMethod)
        guard case .connectionStartOk(let ok) = startOk else {
            Issue.record("expected start-ok, got \(startOk.name)")
            return
        }
        #expect(ok.mechanism == "PLAIN")
        #expect(ok.response == F.plainResponse)
        #expect(ok.locale == "en_US")
        #expect(ok.clientProperties == F.clientProperties)
        #expect(F.stateName(machine.state) == "awaitingTune")
        #expect(machine.serverProperties["product"] == .string("RabbitMQ"))

        let tuned = try #require(machine.received(F.tune(channelMax: 2047, frameMax: 131_072, heartbeat: 60)).tunedValues)
        let expected = NegotiatedLimits(channelMax: 2047, frameMax: 131_072, heartbeat: 60)
        #expect(tuned.limits == expected)
        #expect(tuned.tuneOk == AMQP.Connection.TuneOk(channelMax: 2047, frameMax: 131_072, heartbeat: 60))
        #expect(tuned.open.virtualHost == "vh1")
        #expect(F.stateName(machine.state) == "awaitingOpenOk")
        #expect(machine.limits == expected)
        #expect(!machine.isOpen)

        let opened = try #require(machine.received(.connectionOpenOk(AMQP.Connection.OpenOk())).openedLimits)
        #expect(opened == expected)
        #expect(machine.isOpen)
        #expect(!machine.isClosed)
        #expect(machine.limits == expected)
    }

    @Test("connected() a second time does nothing")
    func connectedTwice() {
        var machine = F.connection(at: .awaitingStart)
        #expect(machine.connected().isNone)
        #expect(F.stateName(machine.state) == "awaitingStart")
    }

    @Test("connection.secure is answered with secure-ok carrying the response; tune still follows")
    func secure() throws {
        var machine = F.connection(at: .awaitingTune)
        let action = machine.received(.connectionSecure(AMQP.Connection.Secure(challenge: F.bytes("challenge"))))
        #expect(action.sentMethod == .connectionSecureOk(AMQP.Connection.SecureOk(response: F.plainResponse)))
        #expect(F.stateName(machine.state) == "awaitingTune")
        _ = try #require(machine.received(F.tune()).tunedValues)
        #expect(F.stateName(machine.state) == "awaitingOpenOk")
    }

    @Test("EXTERNAL is sent when the broker offers it")
    func external() throws {
        var machine = F.connection(
            at: .awaitingStart, configuration: F.configuration(mechanism: "EXTERNAL", response: ByteBuffer())
        )
        let method = try #require(machine.received(F.start(mechanisms: "PLAIN AMQPLAIN EXTERNAL")).sentMethod)
        guard case .connectionStartOk(let ok) = method else {
            Issue.record("expected start-ok, got \(method.name)")
            return
        }
        #expect(ok.mechanism == "EXTERNAL")
        #expect(ok.response.readableBytes == 0)
    }

    @Test("a mechanism the broker does not offer fails with AuthenticationError")
    func mechanismNotOffered() throws {
        var machine = F.connection(at: .awaitingStart)
        let action = machine.received(F.start(mechanisms: "AMQPLAIN EXTERNAL"))
        let error = try #require(action.shutdownError as? AuthenticationError, "got \(action.name)")
        #expect(error.reason.contains("PLAIN"))
        #expect(error.reason.contains("EXTERNAL"))
        #expect(machine.isClosed)
        #expect(F.stateError(machine.state) is AuthenticationError)
    }

    @Test("a mechanism matches whole words only")
    func mechanismWholeWord() throws {
        var machine = F.connection(at: .awaitingStart)
        let action = machine.received(F.start(mechanisms: "XPLAIN PLAINX"))
        #expect(action.shutdownError is AuthenticationError, "got \(action.name)")
    }

    @Test("another protocol version in connection.start is IncompatibleProtocolError", arguments: [
        (UInt8(0), UInt8(8)), (UInt8(1), UInt8(0)), (UInt8(0), UInt8(10)),
    ])
    func versionMismatch(major: UInt8, minor: UInt8) throws {
        var machine = F.connection(at: .awaitingStart)
        let action = machine.received(F.start(major: major, minor: minor))
        let error = try #require(action.shutdownError as? IncompatibleProtocolError, "got \(action.name)")
        #expect(error.reason.contains("\(major)-\(minor)"))
        #expect(machine.isClosed)
    }

    @Test("the locale falls back to the broker's first one when ours is not offered")
    func localeFallback() throws {
        var machine = F.connection(at: .awaitingStart, configuration: F.configuration(locale: "fr_FR"))
        let method = try #require(machine.received(F.start(locales: "en_US de_DE")).sentMethod)
        guard case .connectionStartOk(let ok) = method else {
            Issue.record("expected start-ok, got \(method.name)")
            return
        }
        #expect(ok.locale == "en_US")
    }

    @Test("our locale is kept when the broker offers it among others")
    func localeKept() throws {
        var machine = F.connection(at: .awaitingStart, configuration: F.configuration(locale: "de_DE"))
        let method = try #require(machine.received(F.start(locales: "en_US de_DE")).sentMethod)
        guard case .connectionStartOk(let ok) = method else {
            Issue.record("expected start-ok, got \(method.name)")
            return
        }
        #expect(ok.locale == "de_DE")
    }

    @Test("tune applies the client's lower limits and heartbeat")
    func tuneWithClientLimits() throws {
        var machine = F.connection(
            at: .awaitingTune, configuration: F.configuration(channelMax: 100, frameMax: 8192, heartbeat: 10)
        )
        let tuned = try #require(machine.received(F.tune(channelMax: 2047, frameMax: 131_072, heartbeat: 60)).tunedValues)
        #expect(tuned.limits == NegotiatedLimits(channelMax: 100, frameMax: 8192, heartbeat: 10))
        #expect(tuned.tuneOk == AMQP.Connection.TuneOk(channelMax: 100, frameMax: 8192, heartbeat: 10))
    }

    @Test("a broker frame_max under 4096 ends the handshake with a protocol violation")
    func tuneFrameMaxTooSmall() throws {
        var machine = F.connection(at: .awaitingTune)
        let action = machine.received(F.tune(frameMax: 4095))
        let error = try #require(action.shutdownError as? ProtocolViolationError, "got \(action.name)")
        #expect(error.reason.contains("4095"))
        #expect(machine.isClosed)
        #expect(machine.limits == nil)
    }

    @Test("handshake methods out of order close the connection with 503", arguments: [
        MachineFixtures.Step.awaitingTune, .awaitingOpenOk, .open,
    ])
    func startOutOfOrder(step: MachineFixtures.Step) throws {
        var machine = F.connection(at: step)
        let action = machine.received(F.start())
        let close = try #require(action.sentClose, "got \(action.name)")
        #expect(close.replyCode == 503)
        #expect(close.replyText.contains("connection.start"))
        #expect(F.stateName(machine.state) == "closing")
        #expect(F.stateError(machine.state) is ProtocolViolationError)
    }

    @Test("open-ok before tune closes the connection with 503")
    func openOkBeforeTune() throws {
        var machine = F.connection(at: .awaitingTune)
        let close = try #require(machine.received(.connectionOpenOk(AMQP.Connection.OpenOk())).sentClose)
        #expect(close.replyCode == 503)
    }

    @Test("tune in awaitingStart (before any state allows a close) shuts down")
    func tuneBeforeStart() throws {
        var machine = F.connection(at: .awaitingStart)
        let action = machine.received(F.tune())
        #expect(action.shutdownError is ProtocolViolationError, "got \(action.name)")
        #expect(machine.isClosed)
    }
}
