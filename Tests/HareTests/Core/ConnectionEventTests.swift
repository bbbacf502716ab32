import AMQPProtocol
import NIOCore
import Testing

@testable import Hare

@Suite("Connection machine: events when open")
struct ConnectionEventTests {
    typealias F = MachineFixtures

    @Test("blocked and unblocked are reported when open")
    func blockedUnblocked() throws {
        var machine = F.connection(at: .open)
        let reason = try #require(machine.received(.connectionBlocked(AMQP.Connection.Blocked(reason: "low on memory"))).blockedReason)
        #expect(reason == "low on memory")
        let unblocked = machine.received(.connectionUnblocked(AMQP.Connection.Unblocked()))
        guard case .unblocked = unblocked else {
            Issue.record("expected unblocked, got \(unblocked.name)")
            return
        }
        #expect(machine.isOpen)
    }

    @Test("update-secret is refused before open", arguments: [
        MachineFixtures.Step.initial, .awaitingStart, .awaitingTune, .awaitingOpenOk,
    ])
    func updateSecretRefused(step: MachineFixtures.Step) {
        var machine = F.connection(at: step)
        switch machine.updateSecret(F.bytes("token"), reason: "refresh") {
        case .success(let method):
            Issue.record("update-secret was accepted in \(step): \(method.name)")
        case .failure(let error):
            #expect(error.reason.contains("update-secret"))
        }
    }

    @Test("update-secret is refused once closed")
    func updateSecretRefusedWhenClosed() {
        var machine = F.connection(at: .open)
        _ = machine.received(F.brokerClose(320, "forced"))
        guard case .failure = machine.updateSecret(F.bytes("token"), reason: "refresh") else {
            Issue.record("update-secret was accepted on a closed connection")
            return
        }
    }

    @Test("update-secret when open sends the method; its ok is reported once")
    func updateSecretOk() throws {
        var machine = F.connection(at: .open)
        let method = try machine.updateSecret(F.bytes("token-2"), reason: "rotation").get()
        #expect(method == .connectionUpdateSecret(AMQP.Connection.UpdateSecret(newSecret: F.bytes("token-2"), reason: "rotation")))

        let ok = machine.received(.connectionUpdateSecretOk(AMQP.Connection.UpdateSecretOk()))
        guard case .updateSecretOk = ok else {
            Issue.record("expected updateSecretOk, got \(ok.name)")
            return
        }
        // A second ok with nothing in flight breaks the protocol.
        let close = try #require(machine.received(.connectionUpdateSecretOk(AMQP.Connection.UpdateSecretOk())).sentClose)
        #expect(close.replyCode == 503)
    }

    @Test("two update-secrets in flight get two oks")
    func updateSecretTwice() throws {
        var machine = F.connection(at: .open)
        _ = try machine.updateSecret(F.bytes("a"), reason: "1").get()
        _ = try machine.updateSecret(F.bytes("b"), reason: "2").get()
        for _ in 0..<2 {
            let ok = machine.received(.connectionUpdateSecretOk(AMQP.Connection.UpdateSecretOk()))
            guard case .updateSecretOk = ok else {
                Issue.record("expected updateSecretOk, got \(ok.name)")
                return
            }
        }
    }

    @Test("an unexpected method on channel 0 closes with 503 naming it", arguments: [
        AMQP.Method.channelOpen(AMQP.Channel.Open()),
        .connectionTune(AMQP.Connection.Tune(channelMax: 1, frameMax: 4096, heartbeat: 0)),
        .connectionOpenOk(AMQP.Connection.OpenOk()),
        .basicQosOk(AMQP.Basic.QosOk()),
    ])
    func unexpectedMethod(method: AMQP.Method) throws {
        var machine = F.connection(at: .open)
        let close = try #require(machine.received(method).sentClose)
        #expect(close.replyCode == 503)
        #expect(close.replyText.contains(method.name))
        #expect(close.classId == 0 && close.methodId == 0)
        #expect(F.stateName(machine.state) == "closing")

        // The broker answers with close-ok: the protocol violation is what the application learns.
        let error = try #require(machine.received(.connectionCloseOk(AMQP.Connection.CloseOk())).shutdownError as? ProtocolViolationError)
        #expect(error.reason.contains(method.name))
    }

    // MARK: protocolViolation (from a channel)

    @Test("a protocol violation from a channel sends close with its code, class and method")
    func protocolViolationOpen() throws {
        var machine = F.connection(at: .open)
        let action = machine.protocolViolation(code: 505, reason: "unexpected basic.deliver", classID: 60, methodID: 60)
        let close = try #require(action.sentClose, "got \(action.name)")
        #expect(close == AMQP.Connection.Close(replyCode: 505, replyText: "unexpected basic.deliver", classId: 60, methodId: 60))
        #expect(F.stateName(machine.state) == "closing")
        #expect(machine.protocolViolation(code: 505, reason: "again").isNone)
    }

    @Test("a protocol violation's reply text is cut to 255 bytes")
    func protocolViolationLongReason() throws {
        var machine = F.connection(at: .open)
        let close = try #require(machine.protocolViolation(code: 505, reason: String(repeating: "a", count: 400)).sentClose)
        #expect(close.replyText.utf8.count == 255)
    }

    @Test("a protocol violation before start shuts down at once", arguments: [MachineFixtures.Step.initial, .awaitingStart])
    func protocolViolationEarly(step: MachineFixtures.Step) throws {
        var machine = F.connection(at: step)
        let action = machine.protocolViolation(code: 505, reason: "early")
        #expect(action.shutdownError is ProtocolViolationError, "got \(action.name)")
        #expect(machine.isClosed)
    }

    // MARK: Decoding failures

    @Test("a protocol header in answer to ours is IncompatibleProtocolError naming the version")
    func versionMismatchHeader() throws {
        var machine = F.connection(at: .awaitingStart)
        let action = machine.decodingFailed(AMQPProtocolError(.protocolVersionMismatch(major: 0, minor: 8, revision: 0)))
        let error = try #require(action.shutdownError as? IncompatibleProtocolError, "got \(action.name)")
        #expect(error.reason.contains("0-8-0"))
        #expect(machine.isClosed)
    }

    @Test("garbage in answer to our header is IncompatibleProtocolError")
    func garbageBeforeStart() throws {
        var machine = F.connection(at: .awaitingStart)
        let action = machine.decodingFailed(AMQPProtocolError(.unknownFrameType(72)))
        #expect(action.shutdownError is IncompatibleProtocolError, "got \(action.name)")
    }

    @Test("a frame error when open sends close 501 and shuts down at once", arguments: [
        AMQPProtocolError.Kind.frameTooLarge(size: 200_000, limit: 131_072),
        .invalidFrameEnd(0),
        .unknownFrameType(9),
        .invalidHeartbeat,
        .invalidChannel,
    ])
    func frameErrorOpen(kind: AMQPProtocolError.Kind) throws {
        var machine = F.connection(at: .open)
        let action = machine.decodingFailed(AMQPProtocolError(kind))
        let (close, error) = try #require(action.closeAndShutdown, "got \(action.name)")
        #expect(close.replyCode == 501)
        #expect(close.replyText.utf8.count <= 255)
        let violation = try #require(error as? ProtocolViolationError)
        #expect(violation.decodingError == AMQPProtocolError(kind))
        #expect(machine.isClosed)
    }

    @Test("a malformed method when open sends close 502", arguments: [
        AMQPProtocolError.Kind.truncated(needed: 4, available: 1),
        .invalidUTF8,
        .unknownMethod(classID: 99, methodID: 1),
        .unknownFieldType(0x7A),
    ])
    func syntaxErrorOpen(kind: AMQPProtocolError.Kind) throws {
        var machine = F.connection(at: .awaitingOpenOk)
        let (close, error) = try #require(machine.decodingFailed(AMQPProtocolError(kind)).closeAndShutdown)
        #expect(close.replyCode == 502)
        #expect(error is ProtocolViolationError)
    }

    @Test("a decoding failure after close is ignored")
    func decodingFailedClosed() {
        var machine = F.connection(at: .open)
        _ = machine.streamClosed(ioError: nil)
        #expect(machine.decodingFailed(AMQPProtocolError(.invalidFrameEnd(1))).isNone)
    }

    // MARK: Heartbeats and deadlines

    @Test("a missed heartbeat when open shuts down with AMQPHeartbeatTimeout(interval)")
    func heartbeatMissedOpen() throws {
        var machine = F.connection(at: .open)
        let action = machine.heartbeatMissed()
        let error = try #require(action.shutdownError as? AMQPHeartbeatTimeout, "got \(action.name)")
        #expect(error == AMQPHeartbeatTimeout(interval: 60))
        #expect(machine.isClosed)
        #expect(machine.heartbeatMissed().isNone)
    }

    @Test("a missed heartbeat while closing ends the close with the close's error")
    func heartbeatMissedClosing() throws {
        var machine = F.connection(at: .open)
        _ = machine.close(replyCode: 200, replyText: "bye")
        let error = try #require(machine.heartbeatMissed().shutdownError as? ConnectionClosedByClient)
        #expect(error.replyText == "bye")
        #expect(machine.isClosed)
    }

    @Test("a missed heartbeat before tune does nothing", arguments: [
        MachineFixtures.Step.initial, .awaitingStart, .awaitingTune,
    ])
    func heartbeatMissedEarly(step: MachineFixtures.Step) {
        var machine = F.connection(at: step)
        #expect(machine.heartbeatMissed().isNone)
        #expect(F.stateName(machine.state) == step.description)
    }

    /// The I/O layer starts the heartbeat timer at `.tuned`, so the broker going silent after
    /// tune-ok/open must count as a dead peer too (Pika starts its checker at tune as well).
    @Test("a missed heartbeat while waiting for open-ok is a dead peer")
    func heartbeatMissedAwaitingOpenOk() throws {
        var machine = F.connection(at: .awaitingOpenOk)
        let action = machine.heartbeatMissed()
        let error = try #require(action.shutdownError as? AMQPHeartbeatTimeout, "got \(action.name)")
        #expect(error.interval == 60)
        #expect(machine.isClosed)
    }

    @Test("a deadline passing shuts down with its error at every step before closing", arguments: MachineFixtures.Step.allCases)
    func timedOut(step: MachineFixtures.Step) throws {
        var machine = F.connection(at: step)
        let action = machine.timedOut(AMQPConnectionTimeout(stage: "handshake", timeout: 15))
        let error = try #require(action.shutdownError as? AMQPConnectionTimeout, "got \(action.name)")
        #expect(error == AMQPConnectionTimeout(stage: "handshake", timeout: 15))
        #expect(machine.isClosed)
        #expect(machine.timedOut(AMQPConnectionTimeout(stage: "again", timeout: 1)).isNone)
    }

    @Test("a close timeout while closing ends with the close's error")
    func timedOutClosing() throws {
        var machine = F.connection(at: .open)
        _ = machine.close(replyCode: 200, replyText: "bye")
        let action = machine.timedOut(AMQPConnectionTimeout(stage: "waiting for connection.close-ok", timeout: 5))
        let error = try #require(action.shutdownError as? ConnectionClosedByClient, "got \(action.name)")
        #expect(error == ConnectionClosedByClient(replyCode: 200, replyText: "bye"))
    }

    @Test("the blocked-connection timeout when open is ConnectionBlockedTimeout")
    func blockedTimeout() throws {
        var machine = F.connection(at: .open)
        _ = machine.received(.connectionBlocked(AMQP.Connection.Blocked(reason: "disk")))
        let error = try #require(machine.timedOut(ConnectionBlockedTimeout(timeout: 30)).shutdownError as? ConnectionBlockedTimeout)
        #expect(error.timeout == 30)
    }
}
