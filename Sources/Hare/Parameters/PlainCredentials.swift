/// A user name and password, sent with the SASL PLAIN mechanism (Pika's `PlainCredentials`).
///
/// The password never appears in `description`, `debugDescription` or a `Mirror` (so neither in
/// `print`, `String(reflecting:)` nor `dump`).
public struct PlainCredentials: AMQPCredentials, Hashable, CustomDebugStringConvertible, CustomReflectable {
    /// The user name.
    public var username: String
    /// The password.
    public var password: String

    /// Creates credentials for `username` with `password`.
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// `"PLAIN"`.
    public var mechanism: String { "PLAIN" }

    /// The PLAIN response: a zero byte, the user name, a zero byte, the password (UTF-8).
    public func initialResponse() -> [UInt8] {
        var response: [UInt8] = [0]
        response.append(contentsOf: username.utf8)
        response.append(0)
        response.append(contentsOf: password.utf8)
        return response
    }

    /// The user name, and the password as `<redacted>`.
    public var description: String {
        "PlainCredentials(username: \(String(reflecting: username)), password: <redacted>)"
    }

    /// The same as `description`: the password stays hidden.
    public var debugDescription: String { description }

    /// A mirror with the password replaced by `"<redacted>"`.
    public var customMirror: Mirror {
        Mirror(self, children: ["username": username, "password": "<redacted>"], displayStyle: .struct)
    }
}
