import AMQPProtocol

/// Everything needed to open a connection, with Pika's defaults (Pika's `ConnectionParameters`).
///
/// The initializer accepts any values; `validate()` checks them (the connection calls it before
/// connecting and reports a `ParametersError`). `description` never shows the password.
public struct ConnectionParameters: ConnectionParametersConvertible, Sendable {
    /// The plain AMQP port, 5672.
    public static let defaultPort = 5672
    /// The AMQP-over-TLS port, 5671.
    public static let defaultTLSPort = 5671
    /// The largest message body Hare accepts by default: 64 MiB.
    public static let defaultMaxBodySize = 64 * 1024 * 1024

    /// The broker's host name or IP address.
    public var host: String
    /// The broker's TCP port.
    public var port: Int
    /// The virtual host to open.
    public var virtualHost: String
    /// The credentials for the SASL handshake.
    public var credentials: any AMQPCredentials
    /// Where fresh credentials come from, asked before every connection attempt (the first
    /// connect, its retries, and every recovery attempt), for tokens that expire; when nil,
    /// `credentials` is used. Called on the connection's loop: it must not block.
    public var credentialsProvider: (@Sendable () -> any AMQPCredentials)?
    /// The most channels the client wants (negotiated down to the broker's limit); 1...65535.
    public var channelMax: UInt16
    /// The largest frame the client wants, in bytes (negotiated down to the broker's limit).
    public var frameMax: UInt32
    /// The heartbeat interval in seconds: nil accepts the broker's proposal, 0 turns heartbeats
    /// off, any other value is negotiated with the broker's (the lower non-zero value wins).
    public var heartbeat: UInt16?
    /// Chooses the heartbeat interval from the broker's proposal (Pika's callable `heartbeat`);
    /// when set it wins over `heartbeat`.
    public var heartbeatCallback: (@Sendable (_ brokerValue: UInt16) -> UInt16)?
    /// How many times to try the TCP connection and handshake before giving up; at least 1.
    public var connectionAttempts: Int
    /// Seconds to wait between two connection attempts.
    public var retryDelay: Double
    /// Seconds the TCP connect may take; nil waits as long as the system does.
    public var socketTimeout: Double?
    /// Seconds the whole bring-up (TCP, TLS, AMQP handshake) may take; nil for no limit.
    public var stackTimeout: Double?
    /// The locale sent in start-ok.
    public var locale: String
    /// Seconds the broker may keep the connection blocked before the client drops it; nil waits
    /// for ever.
    public var blockedConnectionTimeout: Double?
    /// Client properties that replace or extend Hare's (for example `connection_name`).
    public var clientProperties: FieldTable?
    /// TLS settings; nil connects without TLS.
    public var sslOptions: SSLOptions?
    /// TCP socket options; nil keeps the defaults (TCP_NODELAY on).
    public var tcpOptions: TCPOptions?
    /// The largest message body accepted from the broker, in bytes.
    public var maxBodySize: Int

    /// Creates parameters; every argument has Pika's default. A nil `port` means 5672, or 5671
    /// when `sslOptions` is set.
    public init(
        host: String = "localhost",
        port: Int? = nil,
        virtualHost: String = "/",
        credentials: any AMQPCredentials = PlainCredentials(username: "guest", password: "guest"),
        channelMax: UInt16 = 65535,
        frameMax: UInt32 = 131_072,
        heartbeat: UInt16? = nil,
        heartbeatCallback: (@Sendable (_ brokerValue: UInt16) -> UInt16)? = nil,
        connectionAttempts: Int = 1,
        retryDelay: Double = 2.0,
        socketTimeout: Double? = 10.0,
        stackTimeout: Double? = 15.0,
        locale: String = "en_US",
        blockedConnectionTimeout: Double? = nil,
        clientProperties: FieldTable? = nil,
        sslOptions: SSLOptions? = nil,
        tcpOptions: TCPOptions? = nil,
        maxBodySize: Int = ConnectionParameters.defaultMaxBodySize
    ) {
        self.host = host
        self.port = port ?? (sslOptions == nil ? Self.defaultPort : Self.defaultTLSPort)
        self.virtualHost = virtualHost
        self.credentials = credentials
        self.channelMax = channelMax
        self.frameMax = frameMax
        self.heartbeat = heartbeat
        self.heartbeatCallback = heartbeatCallback
        self.connectionAttempts = connectionAttempts
        self.retryDelay = retryDelay
        self.socketTimeout = socketTimeout
        self.stackTimeout = stackTimeout
        self.locale = locale
        self.blockedConnectionTimeout = blockedConnectionTimeout
        self.clientProperties = clientProperties
        self.sslOptions = sslOptions
        self.tcpOptions = tcpOptions
        self.maxBodySize = maxBodySize
    }

    /// The parameters themselves.
    public var connectionParameters: ConnectionParameters { self }
}
