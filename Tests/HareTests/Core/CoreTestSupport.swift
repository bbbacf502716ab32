import AMQPProtocol
import NIOCore
import Testing

@testable import Hare

/// Fixtures shared by the state machine tests.
enum MachineFixtures {
    static func bytes(_ text: String) -> ByteBuffer {
        ByteBuffer(string: text)
    }

    static let clientProperties: FieldTable = ["product": .string("Hare"), "connection_name": .string("unit")]

    /// PLAIN's response for guest/guest: NUL user NUL password.
    static let plainResponse = ByteBuffer(bytes: [0] + Array("guest".utf8) + [0] + Array("guest".utf8))

    static func configuration(
        virtualHost: String = "/",
        locale: String = "en_US",
        mechanism: String = "PLAIN",
        response: ByteBuffer = plainResponse,
        channelMax: UInt16 = 65535,
        frameMax: UInt32 = 131_072,
        heartbeat: UInt16? = nil,
        heartbeatCallback: (@Sendable (UInt16) -> UInt16)? = nil
    ) -> ConnectionConfiguration {
        ConnectionConfiguration(
            virtualHost: virtualHost,
            locale: locale,
            clientProperties: clientProperties,
            mechanism: mechanism,
            response: response,
            channelMax: channelMax,
            frameMax: frameMax,
            heartbeat: heartbeat,
            heartbeatCallback: heartbeatCallback
        )
    }

    static func start(
        major: UInt8 = 0,
        minor: UInt8 = 9,
        mechanisms: String = "AMQPLAIN PLAIN",
        locales: String = "en_US"
    ) -> AMQP.Method {
        .connectionStart(AMQP.Connection.Start(
            versionMajor: major,
            versionMinor: minor,
            serverProperties: ["product": .string("RabbitMQ"), "version": .string("4.0.0")],
            mechanisms: bytes(mechanisms),
            locales: bytes(locales)
        ))
    }

    static func tune(channelMax: UInt16 = 2047, frameMax: UInt32 = 131_072, heartbeat: UInt16 = 60) -> AMQP.Method {
        .connectionTune(AMQP.Connection.Tune(channelMax: channelMax, frameMax: frameMax, heartbeat: heartbeat))
    }

    static func brokerClose(_ code: UInt16, _ text: String, classID: UInt16 = 0, methodID: UInt16 = 0) -> AMQP.Method {
        .connectionClose(AMQP.Connection.Close(replyCode: code, replyText: text, classId: classID, methodId: methodID))
    }

    /// The connection handshake steps, in order; each names the state the machine is in after it.
    enum Step: CaseIterable, CustomStringConvertible {
        case initial, awaitingStart, awaitingTune, awaitingOpenOk, open

        var description: String {
            switch self {
            case .initial: "initial"
            case .awaitingStart: "awaitingStart"
            case .awaitingTune: "awaitingTune"
            case .awaitingOpenOk: "awaitingOpenOk"
            case .open: "open"
            }
        }
    }

    /// A connection machine stepped to `step` along the happy path (the path itself is checked in
    /// `ConnectionHandshakeTests`).
    static func connection(at step: Step, configuration: ConnectionConfiguration = MachineFixtures.configuration()) -> ConnectionStateMachine {
        var machine = ConnectionStateMachine(configuration: configuration)
        if step == .initial { return machine }
        _ = machine.connected()
        if step == .awaitingStart { return machine }
        _ = machine.received(start())
        if step == .awaitingTune { return machine }
        _ = machine.received(tune())
        if step == .awaitingOpenOk { return machine }
        _ = machine.received(.connectionOpenOk(AMQP.Connection.OpenOk()))
        return machine
    }

    static func stateName(_ state: ConnectionStateMachine.State) -> String {
        switch state {
        case .initial: "initial"
        case .awaitingStart: "awaitingStart"
        case .awaitingTune: "awaitingTune"
        case .awaitingOpenOk: "awaitingOpenOk"
        case .open: "open"
        case .closing: "closing"
        case .closed: "closed"
        }
    }

    /// The error a closing or closed connection machine holds.
    static func stateError(_ state: ConnectionStateMachine.State) -> (any AMQPConnectionError)? {
        switch state {
        case .closing(let error), .closed(let error): error
        default: nil
        }
    }

    // MARK: Channels

    typealias Channel = ChannelStateMachine<Int>

    /// A channel machine that is open (open and open-ok; checked in `ChannelOpenTests`).
    static func openChannel(_ number: UInt16 = 1) -> Channel {
        var machine = Channel(channelNumber: number)
        _ = machine.open(0)
        _ = machine.received(.channelOpenOk(AMQP.Channel.OpenOk()))
        return machine
    }

    static func queueDeclare(_ name: String) -> AMQP.Method {
        .queueDeclare(AMQP.Queue.Declare(queue: name, durable: true))
    }

    static func queueDeclareOk(_ name: String) -> AMQP.Method {
        .queueDeclareOk(AMQP.Queue.DeclareOk(queue: name, messageCount: 0, consumerCount: 0))
    }

    static func consume(_ tag: String, queue: String = "q", noAck: Bool = false, noWait: Bool = false) -> AMQP.Method {
        .basicConsume(AMQP.Basic.Consume(queue: queue, consumerTag: tag, noAck: noAck, noWait: noWait))
    }

    static func deliver(_ tag: String, deliveryTag: UInt64 = 1) -> AMQP.Method {
        .basicDeliver(AMQP.Basic.Deliver(consumerTag: tag, deliveryTag: deliveryTag, exchange: "", routingKey: "q"))
    }

    static func header(_ size: UInt64, contentType: String? = "text/plain") -> AMQPContentHeader {
        AMQPContentHeader(bodySize: size, properties: AMQP.BasicProperties(contentType: contentType))
    }

    static func publish(_ routingKey: String, body: String = "x") -> PublishRequest {
        PublishRequest(
            exchange: "", routingKey: routingKey, mandatory: false, immediate: false,
            properties: AMQP.BasicProperties(), body: bytes(body), sequenceNumber: nil
        )
    }

    static func channelClose(_ code: UInt16, _ text: String, classID: UInt16 = 0, methodID: UInt16 = 0) -> AMQP.Method {
        .channelClose(AMQP.Channel.Close(replyCode: code, replyText: text, classId: classID, methodId: methodID))
    }

    /// Drains `nextOutbound()` and names each piece: `method:<name>` or `publish:<routing key>`
    /// (with `#<sequence number>` in confirm mode).
    static func drain(_ machine: inout Channel) -> [String] {
        var names: [String] = []
        while let next = machine.nextOutbound() {
            switch next {
            case .method(let method):
                names.append("method:\(method.name)")
            case .publish(let request):
                names.append("publish:\(request.routingKey)" + (request.sequenceNumber.map { "#\($0)" } ?? ""))
            }
            if names.count > 1000 { break }
        }
        return names
    }
}

// MARK: Connection actions

extension ConnectionStateMachine.Action {
    var name: String {
        switch self {
        case .none: "none"
        case .sendProtocolHeader: "sendProtocolHeader"
        case .send(let method): "send(\(method.name))"
        case .tuned: "tuned"
        case .opened: "opened"
        case .blocked: "blocked"
        case .unblocked: "unblocked"
        case .updateSecretOk: "updateSecretOk"
        case .sendCloseOkAndShutdown: "sendCloseOkAndShutdown"
        case .sendClose: "sendClose"
        case .sendCloseAndShutdown: "sendCloseAndShutdown"
        case .shutdown: "shutdown"
        }
    }

    var isNone: Bool {
        guard case .none = self else { return false }
        return true
    }

    var sentMethod: AMQP.Method? {
        guard case .send(let method) = self else { return nil }
        return method
    }

    var tunedValues: (limits: NegotiatedLimits, tuneOk: AMQP.Connection.TuneOk, open: AMQP.Connection.Open)? {
        guard case .tuned(let limits, let tuneOk, let open) = self else { return nil }
        return (limits, tuneOk, open)
    }

    var openedLimits: NegotiatedLimits? {
        guard case .opened(let limits) = self else { return nil }
        return limits
    }

    var blockedReason: String? {
        guard case .blocked(let reason) = self else { return nil }
        return reason
    }

    var closeOkAndShutdownError: (any AMQPConnectionError)? {
        guard case .sendCloseOkAndShutdown(let error) = self else { return nil }
        return error
    }

    var sentClose: AMQP.Connection.Close? {
        guard case .sendClose(let close) = self else { return nil }
        return close
    }

    var closeAndShutdown: (close: AMQP.Connection.Close, error: any AMQPConnectionError)? {
        guard case .sendCloseAndShutdown(let close, let error) = self else { return nil }
        return (close, error)
    }

    var shutdownError: (any AMQPConnectionError)? {
        guard case .shutdown(let error) = self else { return nil }
        return error
    }
}

// MARK: Channel actions

extension ChannelStateMachine.Action {
    var name: String {
        switch self {
        case .none: "none"
        case .send(let method): "send(\(method.name))"
        case .succeed: "succeed"
        case .fail: "fail"
        case .deliver: "deliver"
        case .unexpectedDelivery: "unexpectedDelivery"
        case .returned: "returned"
        case .confirm: "confirm"
        case .consumerCancelledByBroker: "consumerCancelledByBroker"
        case .flow: "flow"
        case .closing: "closing"
        case .closed: "closed"
        case .connectionError: "connectionError"
        }
    }

    var isNone: Bool {
        guard case .none = self else { return false }
        return true
    }

    var sentMethod: AMQP.Method? {
        guard case .send(let method) = self else { return nil }
        return method
    }

    var succeeded: (pending: Pending, reply: ChannelReply)? {
        guard case .succeed(let pending, let reply) = self else { return nil }
        return (pending, reply)
    }

    var failed: (pending: Pending, error: any Error)? {
        guard case .fail(let pending, let error) = self else { return nil }
        return (pending, error)
    }

    var delivered: ContentMessage? {
        guard case .deliver(let message) = self else { return nil }
        return message
    }

    var unexpectedDelivery: ContentMessage? {
        guard case .unexpectedDelivery(let message, _) = self else { return nil }
        return message
    }

    /// For an unexpected delivery: whether its (retired) consumer acked automatically, nil when
    /// the consumer was never known.
    var unexpectedDeliveryAutoAck: Bool?? {
        guard case .unexpectedDelivery(_, let autoAck) = self else { return nil }
        return .some(autoAck)
    }

    var returnedMessage: ContentMessage? {
        guard case .returned(let message) = self else { return nil }
        return message
    }

    var confirmEvent: ConfirmEvent? {
        guard case .confirm(let event) = self else { return nil }
        return event
    }

    var consumerCancelled: (consumerTag: String, sendCancelOk: Bool)? {
        guard case .consumerCancelledByBroker(let tag, let sendCancelOk) = self else { return nil }
        return (tag, sendCancelOk)
    }

    var flowActive: Bool? {
        guard case .flow(let active) = self else { return nil }
        return active
    }

    var closingValues: (send: AMQP.Channel.Close, failed: [Pending], error: any Error)? {
        guard case .closing(let close, let failed, let error) = self else { return nil }
        return (close, failed, error)
    }

    var closedValues: (
        error: any Error, failed: [Pending], consumers: [String], unconfirmed: [UInt64], sendCloseOk: Bool,
        closeWaiter: Pending?
    )? {
        guard case .closed(let error, let failed, let consumers, let unconfirmed, let sendCloseOk, let waiter) = self else {
            return nil
        }
        return (error, failed, consumers, unconfirmed, sendCloseOk, waiter)
    }

    var connectionErrorValues: (code: UInt16, reason: String)? {
        guard case .connectionError(let code, let reason) = self else { return nil }
        return (code, reason)
    }
}

extension ChannelReply {
    var replyMethod: AMQP.Method? {
        guard case .method(let method) = self else { return nil }
        return method
    }

    var replyMessage: ContentMessage? {
        guard case .message(let message) = self else { return nil }
        return message
    }
}

extension ContentMessage {
    var deliver: AMQP.Basic.Deliver? {
        guard case .deliver(let deliver) = method else { return nil }
        return deliver
    }

    var returnMethod: AMQP.Basic.Return? {
        guard case .returned(let returned) = method else { return nil }
        return returned
    }

    var getOk: AMQP.Basic.GetOk? {
        guard case .getOk(let getOk) = method else { return nil }
        return getOk
    }

    var bodyString: String {
        body.getString(at: body.readerIndex, length: body.readableBytes) ?? "<not UTF-8>"
    }
}
