import AMQPProtocol

/// The broker closed the connection (connection.close from the broker), for example with 320
/// (connection-forced) when an operator closed it, or with a hard error code after a protocol
/// violation of the client.
public struct ConnectionClosedByBroker: AMQPConnectionError, AMQPCloseReason, Hashable {
    /// The AMQP reply code (404 NOT_FOUND, 320 CONNECTION_FORCED, ...).
    public var replyCode: UInt16
    /// The reply text that comes with the code.
    public var replyText: String
    /// The class and method the broker's close names as the cause (0 when none).
    public var classID: UInt16
    /// The method id of the method that caused the close (0 when none).
    public var methodID: UInt16

    /// Creates the error from the broker's reply.
    public init(replyCode: UInt16, replyText: String, classID: UInt16 = 0, methodID: UInt16 = 0) {
        self.replyCode = replyCode
        self.replyText = replyText
        self.classID = classID
        self.methodID = methodID
    }
}

/// The application closed the connection; what pending work and close callbacks receive.
public struct ConnectionClosedByClient: AMQPConnectionError, AMQPCloseReason, Hashable {
    /// The AMQP reply code (404 NOT_FOUND, 320 CONNECTION_FORCED, ...).
    public var replyCode: UInt16
    /// The reply text that comes with the code.
    public var replyText: String

    /// Creates the error from the application's close.
    public init(replyCode: UInt16, replyText: String) {
        self.replyCode = replyCode
        self.replyText = replyText
    }
}

/// The broker closed the connection during the handshake in a way that means the credentials
/// were refused (RabbitMQ 403 ACCESS_REFUSED on start-ok, or the socket closed right after it).
public struct ProbableAuthenticationError: AMQPConnectionError, AMQPReasonedError, Hashable {
    /// What the broker said, when it said anything.
    public var reason: String

    /// Creates the error.
    public init(reason: String) { self.reason = reason }
}

/// The broker refused access to the virtual host (connection.open closed with 530 NOT_ALLOWED,
/// or the socket closed right after it).
public struct ProbableAccessDeniedError: AMQPConnectionError, AMQPReasonedError, Hashable {
    /// What the broker said, when it said anything.
    public var reason: String

    /// Creates the error.
    public init(reason: String) { self.reason = reason }
}

/// The peer does not speak AMQP 0-9-1: it answered the protocol header with its own, or closed
/// the socket before connection.start.
public struct IncompatibleProtocolError: AMQPConnectionError, AMQPReasonedError, Hashable {
    /// What was seen instead.
    public var reason: String

    /// Creates the error.
    public init(reason: String) { self.reason = reason }
}

/// The TCP or TLS stream ended or failed under an open (or opening) connection.
public struct StreamLostError: AMQPConnectionError, AMQPReasonedError {
    /// What happened to the stream.
    public var reason: String
    /// The underlying I/O error, when there was one.
    public var underlying: (any Error & Sendable)?

    /// Creates the error.
    public init(reason: String, underlying: (any Error & Sendable)? = nil) {
        self.reason = reason
        self.underlying = underlying
    }
}

/// No frame arrived from the broker for two heartbeat intervals: the peer is considered dead.
public struct AMQPHeartbeatTimeout: AMQPConnectionError, Hashable {
    /// The negotiated heartbeat interval, in seconds.
    public var interval: UInt16

    /// Creates the error.
    public init(interval: UInt16) { self.interval = interval }

    /// A one-line account of the error, without secrets.
    public var description: String {
        "AMQPHeartbeatTimeout: nothing received for \(Int(interval) * 2) s (heartbeat \(interval) s)"
    }
}

/// The connection stayed blocked by the broker (connection.blocked) for longer than
/// `blocked_connection_timeout` and was closed.
public struct ConnectionBlockedTimeout: AMQPConnectionError, Hashable {
    /// The timeout that was exceeded, in seconds.
    public var timeout: Double

    /// Creates the error.
    public init(timeout: Double) { self.timeout = timeout }

    /// A one-line account of the error, without secrets.
    public var description: String {
        "ConnectionBlockedTimeout: blocked by the broker for more than \(timeout) s"
    }
}

/// An operation was asked of a connection in a state that does not allow it (for example a
/// channel on a closed connection).
public struct ConnectionWrongStateError: AMQPConnectionError, AMQPReasonedError, Hashable {
    /// What was wrong.
    public var reason: String

    /// Creates the error.
    public init(reason: String) { self.reason = reason }
}

/// The connection could not be opened: every attempt at every parameter set failed. `errors`
/// holds the failure of each attempt, in order.
public struct AMQPConnectionWorkflowFailed: AMQPConnectionError {
    /// The failure of each attempt, in order.
    public var errors: [any Error & Sendable]

    /// Creates the error.
    public init(errors: [any Error & Sendable]) { self.errors = errors }

    /// A one-line account of the error, without secrets.
    public var description: String {
        let each = errors.map { "\($0)" }.joined(separator: "; ")
        return "AMQPConnectionWorkflowFailed: \(errors.count) attempt(s) failed: \(each)"
    }
}

/// A connect attempt or the handshake took longer than `socket_timeout` or `stack_timeout`.
public struct AMQPConnectionTimeout: AMQPConnectionError, Hashable {
    /// Which stage timed out.
    public var stage: String
    /// The timeout, in seconds.
    public var timeout: Double

    /// Creates the error.
    public init(stage: String, timeout: Double) {
        self.stage = stage
        self.timeout = timeout
    }

    /// A one-line account of the error, without secrets.
    public var description: String { "AMQPConnectionTimeout: \(stage) took longer than \(timeout) s" }
}

/// The peer sent something that breaks the protocol (a malformed or unexpected frame). The
/// connection is closed with the matching reply code.
public struct ProtocolViolationError: AMQPConnectionError, AMQPReasonedError {
    /// What was wrong.
    public var reason: String
    /// The decoding error, when the frame could not be decoded.
    public var decodingError: AMQPProtocolError?

    /// Creates the error.
    public init(reason: String, decodingError: AMQPProtocolError? = nil) {
        self.reason = reason
        self.decodingError = decodingError
    }
}

/// Every channel number up to the negotiated channel_max is in use.
public struct NoFreeChannels: AMQPConnectionError, Hashable {
    /// The negotiated channel_max.
    public var channelMax: UInt16

    /// Creates the error.
    public init(channelMax: UInt16) { self.channelMax = channelMax }

    /// A one-line account of the error, without secrets.
    public var description: String { "NoFreeChannels: all \(channelMax) channels are in use" }
}

/// The broker and the client share no SASL mechanism, or the broker refused the mechanism.
public struct AuthenticationError: AMQPConnectionError, AMQPReasonedError, Hashable {
    /// What went wrong.
    public var reason: String

    /// Creates the error.
    public init(reason: String) { self.reason = reason }
}

/// The TLS handshake with the broker failed: its certificate was not trusted or does not name
/// the host, the broker refused the client certificate, or no common TLS version was found.
public struct TLSError: AMQPConnectionError, AMQPReasonedError {
    /// What failed.
    public var reason: String
    /// The TLS library's error.
    public var underlying: (any Error & Sendable)?

    /// Creates the error.
    public init(reason: String, underlying: (any Error & Sendable)? = nil) {
        self.reason = reason
        self.underlying = underlying
    }
}

/// The application closed the connection while it was still opening (Pika's
/// `ConnectionOpenAborted`): the attempt under way was abandoned and no more were made.
public struct ConnectionOpenAborted: AMQPConnectionError, AMQPReasonedError, Hashable {
    /// What happened.
    public var reason: String

    /// Creates the error.
    public init(reason: String) { self.reason = reason }
}
