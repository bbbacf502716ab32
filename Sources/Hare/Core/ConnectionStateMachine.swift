import AMQPProtocol
import NIOCore

/// The connection-level protocol (channel 0) as a pure state machine: it takes events (bytes are
/// already decoded into methods) and returns the action the I/O layer must perform. It does no
/// I/O, reads no clock and holds no callbacks.
///
/// States: initial -> awaitingStart (protocol header sent) -> awaitingTune (start-ok sent;
/// secure may come) -> awaitingOpenOk (tune-ok and open sent) -> open -> closing (close sent,
/// waiting for close-ok) -> closed.
struct ConnectionStateMachine {
    enum State {
        case initial
        case awaitingStart
        case awaitingTune
        case awaitingOpenOk(NegotiatedLimits)
        case open(NegotiatedLimits)
        /// A close was sent; `error` is what the application learns once close-ok arrives.
        case closing(error: any AMQPConnectionError)
        case closed(error: any AMQPConnectionError)
    }

    /// What the I/O layer must do.
    enum Action {
        case none
        /// Write the protocol header.
        case sendProtocolHeader
        /// Write a method on channel 0.
        case send(AMQP.Method)
        /// Apply the limits (frame decoder, heartbeat timer), then write tune-ok and open.
        case tuned(NegotiatedLimits, tuneOk: AMQP.Connection.TuneOk, open: AMQP.Connection.Open)
        /// The connection is open.
        case opened(NegotiatedLimits)
        /// The broker blocked or unblocked publishing on this connection.
        case blocked(reason: String)
        case unblocked
        /// The broker accepted the new secret.
        case updateSecretOk
        /// Write close-ok, then close the socket and fail everything with `error`.
        case sendCloseOkAndShutdown(error: any AMQPConnectionError)
        /// Write this close and wait for close-ok (the socket stays open).
        case sendClose(AMQP.Connection.Close)
        /// Write this close, then close the socket at once and fail everything with `error`
        /// (after a frame error the stream cannot be trusted for a close-ok).
        case sendCloseAndShutdown(AMQP.Connection.Close, error: any AMQPConnectionError)
        /// Close the socket (when still open) and fail everything with `error`.
        case shutdown(error: any AMQPConnectionError)
    }

    private(set) var state: State = .initial {
        didSet {
            switch state {
            case .awaitingOpenOk(let negotiated):
                limits = negotiated
                isOpen = false
            case .open(let negotiated):
                limits = negotiated
                isOpen = true
            default:
                limits = nil
                isOpen = false
            }
        }
    }
    // `isOpen` and `limits` are kept beside `state`, because they are read on the path of every
    // frame and every publish, where matching `state` would copy its payload.
    /// Whether the connection is open.
    private(set) var isOpen = false
    /// The negotiated limits, once tuned.
    private(set) var limits: NegotiatedLimits?
    private let configuration: ConnectionConfiguration
    /// The broker's connection.start properties, once received.
    private(set) var serverProperties = FieldTable()
    /// Whether update-secret is waiting for its ok.
    private var updateSecretsInFlight = 0

    init(configuration: ConnectionConfiguration) {
        self.configuration = configuration
    }

    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    // MARK: Events

    /// The TCP (and TLS) stream is up.
    mutating func connected() -> Action {
        guard case .initial = state else { return .none }
        state = .awaitingStart
        return .sendProtocolHeader
    }

    /// A method arrived on channel 0.
    mutating func received(_ method: AMQP.Method) -> Action {
        switch (state, method) {
        case (.awaitingStart, .connectionStart(let start)):
            return receivedStart(start)
        case (.awaitingTune, .connectionSecure):
            return .send(.connectionSecureOk(AMQP.Connection.SecureOk(response: configuration.response)))
        case (.awaitingTune, .connectionTune(let tune)):
            return receivedTune(tune)
        case (.awaitingOpenOk(let limits), .connectionOpenOk):
            state = .open(limits)
            return .opened(limits)
        case (.open, .connectionBlocked(let blocked)):
            return .blocked(reason: blocked.reason)
        case (.open, .connectionUnblocked):
            return .unblocked
        case (.open, .connectionUpdateSecretOk) where updateSecretsInFlight > 0:
            updateSecretsInFlight -= 1
            return .updateSecretOk
        case (_, .connectionClose(let close)):
            return receivedClose(close)
        case (.closing(let error), .connectionCloseOk):
            state = .closed(error: error)
            return .shutdown(error: error)
        case (.closing, _), (.closed, _):
            // After sending close, everything but close and close-ok is discarded.
            return .none
        default:
            return protocolViolation(
                code: AMQP.ReplyCode.commandInvalid.rawValue,
                reason: "unexpected \(method.name) on channel 0 while \(stateName)"
            )
        }
    }

    /// The application asks to close the connection.
    mutating func close(replyCode: UInt16, replyText: String) -> Action {
        let error = ConnectionClosedByClient(replyCode: replyCode, replyText: replyText)
        switch state {
        case .initial, .awaitingStart, .awaitingTune, .awaitingOpenOk:
            // Before open-ok there is nothing to close gracefully: abort the handshake.
            state = .closed(error: error)
            return .shutdown(error: error)
        case .open:
            state = .closing(error: error)
            return .sendClose(AMQP.Connection.Close(replyCode: replyCode, replyText: replyText, classId: 0, methodId: 0))
        case .closing, .closed:
            return .none
        }
    }

    /// The application sends a new secret (connection.update-secret).
    mutating func updateSecret(_ secret: ByteBuffer, reason: String) -> Result<AMQP.Method, ConnectionWrongStateError> {
        guard case .open = state else {
            return .failure(ConnectionWrongStateError(reason: "update-secret needs an open connection (it is \(stateName))"))
        }
        updateSecretsInFlight += 1
        return .success(.connectionUpdateSecret(AMQP.Connection.UpdateSecret(newSecret: secret, reason: reason)))
    }

    /// A frame could not be decoded: the stream is no longer trustworthy.
    mutating func decodingFailed(_ error: AMQPProtocolError) -> Action {
        let violation = ProtocolViolationError(reason: "cannot decode a frame from the broker: \(error)", decodingError: error)
        switch state {
        case .awaitingStart:
            if case .protocolVersionMismatch(let major, let minor, let revision) = error.kind {
                let incompatible = IncompatibleProtocolError(
                    reason: "the broker speaks AMQP \(major)-\(minor)-\(revision), not 0-9-1"
                )
                state = .closed(error: incompatible)
                return .shutdown(error: incompatible)
            }
            let incompatible = IncompatibleProtocolError(reason: "the peer did not answer with AMQP: \(error)")
            state = .closed(error: incompatible)
            return .shutdown(error: incompatible)
        case .closed:
            return .none
        default:
            let code: UInt16 = switch error.kind {
            case .frameTooLarge, .invalidFrameEnd, .unknownFrameType, .invalidHeartbeat, .invalidChannel:
                AMQP.ReplyCode.frameError.rawValue
            default:
                AMQP.ReplyCode.syntaxError.rawValue
            }
            state = .closed(error: violation)
            let name = String((AMQP.ReplyCode(rawValue: code).name ?? "error").uppercased().map { $0 == "-" ? "_" : $0 })
            let close = AMQP.Connection.Close(
                replyCode: code, replyText: String("\(name) - \(error)".prefix(255)), classId: 0, methodId: 0
            )
            return .sendCloseAndShutdown(close, error: violation)
        }
    }

    /// Something above channel 0 broke the protocol (for example a frame on an unopened channel):
    /// close the connection with `code` and report `reason`.
    mutating func protocolViolation(code: UInt16, reason: String, classID: UInt16 = 0, methodID: UInt16 = 0) -> Action {
        let error = ProtocolViolationError(reason: reason)
        switch state {
        case .open, .awaitingOpenOk, .awaitingTune:
            state = .closing(error: error)
            let close = AMQP.Connection.Close(
                replyCode: code, replyText: String(reason.prefix(255)), classId: classID, methodId: methodID
            )
            return .sendClose(close)
        case .initial, .awaitingStart:
            state = .closed(error: error)
            return .shutdown(error: error)
        case .closing, .closed:
            return .none
        }
    }

    /// The stream ended or failed (`ioError` says how, when it failed).
    mutating func streamClosed(ioError: (any Error & Sendable)?) -> Action {
        let error: any AMQPConnectionError
        switch state {
        case .initial:
            error = StreamLostError(reason: "the connection ended before it was set up", underlying: ioError)
        case .awaitingStart:
            if let ioError {
                error = StreamLostError(reason: "the stream failed before connection.start", underlying: ioError)
            } else {
                error = IncompatibleProtocolError(
                    reason: "the broker closed the stream after the protocol header, before connection.start"
                )
            }
        case .awaitingTune where ioError != nil, .awaitingOpenOk where ioError != nil:
            // A reset or a read error is the network's doing: a broker refusing credentials or a
            // virtual host closes the stream in order.
            error = StreamLostError(reason: "the stream failed during the handshake", underlying: ioError)
        case .awaitingTune:
            error = ProbableAuthenticationError(
                reason: "the broker closed the stream after start-ok (\(configuration.mechanism)): the credentials were probably refused"
            )
        case .awaitingOpenOk:
            error = ProbableAccessDeniedError(
                reason: "the broker closed the stream after connection.open: access to virtual host '\(configuration.virtualHost)' was probably refused"
            )
        case .open:
            error = StreamLostError(reason: "the stream to the broker ended", underlying: ioError)
        case .closing(let closing):
            error = closing
        case .closed:
            return .none
        }
        state = .closed(error: error)
        return .shutdown(error: error)
    }

    /// No frame arrived for two heartbeat intervals.
    mutating func heartbeatMissed() -> Action {
        let limits: NegotiatedLimits
        switch state {
        case .open(let tuned), .awaitingOpenOk(let tuned): limits = tuned
        default:
            if case .closing(let error) = state {
                state = .closed(error: error)
                return .shutdown(error: error)
            }
            return .none
        }
        let error = AMQPHeartbeatTimeout(interval: limits.heartbeat)
        state = .closed(error: error)
        return .shutdown(error: error)
    }

    /// A deadline (connect, handshake, blocked or close timeout) passed, or the transport failed
    /// (TLS): give up with `error`.
    mutating func timedOut(_ error: any AMQPConnectionError) -> Action {
        if case .closed = state { return .none }
        if case .closing(let closing) = state {
            state = .closed(error: closing)
            return .shutdown(error: closing)
        }
        state = .closed(error: error)
        return .shutdown(error: error)
    }

    // MARK: Handshake steps

    private mutating func receivedStart(_ start: AMQP.Connection.Start) -> Action {
        serverProperties = start.serverProperties
        guard start.versionMajor == 0, start.versionMinor == 9 else {
            let error = IncompatibleProtocolError(
                reason: "the broker offers AMQP \(start.versionMajor)-\(start.versionMinor), not 0-9"
            )
            state = .closed(error: error)
            return .shutdown(error: error)
        }
        let offered = Self.words(start.mechanisms)
        guard offered.contains(configuration.mechanism) else {
            let error = AuthenticationError(
                reason: "the broker does not offer \(configuration.mechanism) (it offers \(offered.joined(separator: " ")))"
            )
            state = .closed(error: error)
            return .shutdown(error: error)
        }
        state = .awaitingTune
        let locales = Self.words(start.locales)
        let locale = locales.contains(configuration.locale) ? configuration.locale : (locales.first ?? configuration.locale)
        return .send(.connectionStartOk(AMQP.Connection.StartOk(
            clientProperties: configuration.clientProperties,
            mechanism: configuration.mechanism,
            response: configuration.response,
            locale: locale
        )))
    }

    private mutating func receivedTune(_ tune: AMQP.Connection.Tune) -> Action {
        switch TuneNegotiation.negotiate(
            tune: tune,
            channelMax: configuration.channelMax,
            frameMax: configuration.frameMax,
            heartbeat: configuration.heartbeat,
            heartbeatCallback: configuration.heartbeatCallback
        ) {
        case .failure(.frameMaxTooSmall(let value)):
            let error = ProtocolViolationError(
                reason: "the broker's frame_max \(value) is under the AMQP minimum of \(AMQPLimits.minimumFrameMax)"
            )
            state = .closed(error: error)
            return .shutdown(error: error)
        case .success(let limits):
            state = .awaitingOpenOk(limits)
            return .tuned(
                limits,
                tuneOk: AMQP.Connection.TuneOk(channelMax: limits.channelMax, frameMax: limits.frameMax, heartbeat: limits.heartbeat),
                open: AMQP.Connection.Open(virtualHost: configuration.virtualHost)
            )
        }
    }

    private mutating func receivedClose(_ close: AMQP.Connection.Close) -> Action {
        let error: any AMQPConnectionError
        switch state {
        case .awaitingTune where close.replyCode == AMQP.ReplyCode.accessRefused.rawValue:
            error = ProbableAuthenticationError(reason: close.replyText)
        case .awaitingOpenOk where close.replyCode == AMQP.ReplyCode.notAllowed.rawValue
            || close.replyCode == AMQP.ReplyCode.accessRefused.rawValue:
            error = ProbableAccessDeniedError(reason: close.replyText)
        case .closed:
            return .none
        default:
            error = ConnectionClosedByBroker(
                replyCode: close.replyCode, replyText: close.replyText, classID: close.classId, methodID: close.methodId
            )
        }
        state = .closed(error: error)
        return .sendCloseOkAndShutdown(error: error)
    }

    private static func words(_ buffer: ByteBuffer) -> [String] {
        let text = buffer.getString(at: buffer.readerIndex, length: buffer.readableBytes) ?? ""
        return text.split(separator: " ").map(String.init)
    }

    private var stateName: String {
        switch state {
        case .initial: "not connected"
        case .awaitingStart: "waiting for connection.start"
        case .awaitingTune: "waiting for connection.tune"
        case .awaitingOpenOk: "waiting for connection.open-ok"
        case .open: "open"
        case .closing: "closing"
        case .closed: "closed"
        }
    }
}
