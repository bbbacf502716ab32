import AMQPProtocol

/// The client properties Hare sends in connection.start-ok.
enum ClientProperties {
    /// Hare's project page, sent as `information`.
    static let information = "See https://github.com/hare-amqp/hare"

    /// The broker extensions Hare handles, announced so that the broker uses them.
    static let capabilities: FieldTable = [
        "publisher_confirms": .boolean(true),
        "exchange_exchange_bindings": .boolean(true),
        "basic.nack": .boolean(true),
        "consumer_cancel_notify": .boolean(true),
        "connection.blocked": .boolean(true),
        "authentication_failure_close": .boolean(true),
        "per_consumer_qos": .boolean(true),
    ]

    /// Hare's properties (product, platform, capabilities, information, version), with each entry
    /// of `user` replacing the one of the same key or added after them, as Pika merges its
    /// `client_properties` (a user `capabilities` table replaces Hare's whole).
    static func make(user: FieldTable?, library version: String = HareVersion.string) -> FieldTable {
        var properties: FieldTable = [
            "product": .string("Hare"),
            "platform": .string(platform),
            "capabilities": .table(capabilities),
            "information": .string(information),
            "version": .string(version),
        ]
        for (key, value) in user ?? [:] {
            properties[key] = value
        }
        return properties
    }

    /// "Swift <compiler version> on <operating system> (<architecture>)", fixed at compile time.
    static let platform = "Swift \(swiftVersion) on \(operatingSystem) (\(architecture))"

    static var swiftVersion: String {
        #if compiler(>=7.0)
        "7.0 or later"
        #elseif compiler(>=6.5)
        "6.5"
        #elseif compiler(>=6.4)
        "6.4"
        #elseif compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #elseif compiler(>=6.1)
        "6.1"
        #else
        "6.0"
        #endif
    }

    static var operatingSystem: String {
        #if os(Linux)
        "Linux"
        #elseif os(macOS)
        "macOS"
        #elseif os(iOS)
        "iOS"
        #elseif os(tvOS)
        "tvOS"
        #elseif os(watchOS)
        "watchOS"
        #elseif os(visionOS)
        "visionOS"
        #elseif os(Windows)
        "Windows"
        #elseif os(Android)
        "Android"
        #elseif os(FreeBSD)
        "FreeBSD"
        #elseif os(OpenBSD)
        "OpenBSD"
        #elseif os(WASI)
        "WASI"
        #else
        "an unknown system"
        #endif
    }

    static var architecture: String {
        #if arch(x86_64)
        "x86_64"
        #elseif arch(arm64)
        "arm64"
        #elseif arch(i386)
        "i386"
        #elseif arch(arm)
        "arm"
        #elseif arch(wasm32)
        "wasm32"
        #elseif arch(powerpc64le)
        "powerpc64le"
        #elseif arch(s390x)
        "s390x"
        #else
        "unknown"
        #endif
    }
}
