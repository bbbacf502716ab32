extension ConnectionParameters {
    /// The smallest frame_max AMQP 0-9-1 allows: 4096 bytes.
    public static let minimumFrameMax: UInt32 = 4096
    /// The largest frame_max Hare accepts: 2^31 - 1 bytes.
    public static let maximumFrameMax: UInt32 = UInt32(Int32.max)

    /// Checks every parameter, as Pika's setters do, and throws the first problem found.
    ///
    /// The connection calls this before connecting and reports the error (in `onOpenError`) rather
    /// than connecting. The checks: a non-empty host; port 1...65535; virtual host and locale of at
    /// most 255 UTF-8 bytes; channel_max at least 1; frame_max 4096...2147483647;
    /// connection_attempts at least 1; retry_delay and blocked_connection_timeout finite and not
    /// negative; socket_timeout and stack_timeout finite and positive when set; max_body_size
    /// positive; TCP options not negative (keep-alive timings at least 1); TLS file names not empty,
    /// and no private key file without a certificate file.
    public func validate() throws(ParametersError) {
        if host.isEmpty {
            throw ParametersError(key: "host", reason: "must not be empty")
        }
        if !(1...65535).contains(port) {
            throw ParametersError(key: "port", reason: "must be 1...65535, got \(port)")
        }
        try Self.checkShortString(virtualHost, key: "virtual_host")
        try Self.checkShortString(locale, key: "locale")
        if locale.isEmpty {
            throw ParametersError(key: "locale", reason: "must not be empty")
        }
        if channelMax < 1 {
            throw ParametersError(key: "channel_max", reason: "must be 1...65535, got 0")
        }
        if !(Self.minimumFrameMax...Self.maximumFrameMax).contains(frameMax) {
            throw ParametersError(
                key: "frame_max", reason: "must be \(Self.minimumFrameMax)...\(Self.maximumFrameMax), got \(frameMax)")
        }
        if connectionAttempts < 1 {
            throw ParametersError(key: "connection_attempts", reason: "must be at least 1, got \(connectionAttempts)")
        }
        try Self.checkSeconds(retryDelay, key: "retry_delay", zeroAllowed: true)
        if let socketTimeout { try Self.checkSeconds(socketTimeout, key: "socket_timeout", zeroAllowed: false) }
        if let stackTimeout { try Self.checkSeconds(stackTimeout, key: "stack_timeout", zeroAllowed: false) }
        if let blockedConnectionTimeout {
            try Self.checkSeconds(blockedConnectionTimeout, key: "blocked_connection_timeout", zeroAllowed: true)
        }
        if maxBodySize < 1 {
            throw ParametersError(key: "max_body_size", reason: "must be positive, got \(maxBodySize)")
        }
        if let tcpOptions { try Self.check(tcpOptions) }
        if let sslOptions { try Self.check(sslOptions) }
    }

    private static func checkShortString(_ value: String, key: String) throws(ParametersError) {
        if value.utf8.count > 255 {
            throw ParametersError(key: key, reason: "must be at most 255 bytes in UTF-8, got \(value.utf8.count)")
        }
    }

    private static func checkSeconds(_ value: Double, key: String, zeroAllowed: Bool) throws(ParametersError) {
        guard value.isFinite, zeroAllowed ? value >= 0 : value > 0 else {
            let bound = zeroAllowed ? "a finite number >= 0" : "a finite number > 0"
            throw ParametersError(key: key, reason: "must be \(bound), got \(value)")
        }
    }

    private static func check(_ options: TCPOptions) throws(ParametersError) {
        let positive: [(String, Int?)] = [
            ("TCP_KEEPIDLE", options.keepIdle), ("TCP_KEEPINTVL", options.keepInterval), ("TCP_KEEPCNT", options.keepCount),
        ]
        // Socket options are C ints: anything larger cannot be set.
        let limit = Int(Int32.max)
        for case (let name, let value?) in positive where value < 1 || value > limit {
            throw ParametersError(key: "tcp_options", reason: "\(name) must be from 1 to \(limit), got \(value)")
        }
        if let userTimeout = options.userTimeout, userTimeout < 0 || userTimeout > limit {
            throw ParametersError(key: "tcp_options", reason: "TCP_USER_TIMEOUT must be from 0 to \(limit), got \(userTimeout)")
        }
        if options.receiveCoalescingBytes < 0 || options.receiveCoalescingBytes > limit {
            throw ParametersError(
                key: "tcp_options", reason: "RECEIVE_COALESCING_BYTES must be from 0 to \(limit), got \(options.receiveCoalescingBytes)")
        }
        let delay = options.receiveCoalescingDelay
        guard delay.isFinite, delay >= 0.0001, delay <= 1 else {
            throw ParametersError(key: "tcp_options", reason: "RECEIVE_COALESCING_DELAY must be from 0.0001 to 1 second, got \(delay)")
        }
    }

    private static func check(_ options: SSLOptions) throws(ParametersError) {
        let files: [(String, String?)] = [
            ("ca_certs", options.caFile), ("certfile", options.certificateFile), ("keyfile", options.privateKeyFile),
        ]
        for case (let name, let file?) in files where file.isEmpty {
            throw ParametersError(key: "ssl_options", reason: "\(name) must not be an empty file name")
        }
        if options.privateKeyFile != nil && options.certificateFile == nil {
            throw ParametersError(key: "ssl_options", reason: "keyfile needs certfile (the client certificate)")
        }
        if let serverHostname = options.serverHostname, serverHostname.isEmpty {
            throw ParametersError(key: "ssl_options", reason: "server_hostname must not be empty")
        }
    }
}
