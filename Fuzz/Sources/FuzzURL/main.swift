import FuzzSupport
import HareParametersFuzzable

// URLParameters over arbitrary text (the input as UTF-8, invalid sequences repaired). The first
// byte picks where the text goes: the whole URL; after "amqp://user:<password>" (a known
// password); or as the JSON value of client_properties, ssl_options or tcp_options.
// Checked: a parsed URL passes validate(), and its description does not depend on the password;
// no error (nor description, nor the URL redacted) shows the known password or a half of it,
// unless the input has it; a parsed URL, redacted, parses to the same parameters.

let password = "Zq8WxK3v"
let passwordParts = [password, "Zq8W", "xK3v", "q8WxK"]

func fuzzURL(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    guard let mode = bytes.first else { return 0 }
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    let url: String
    switch mode % 5 {
    case 0: url = text
    case 1: url = "amqp://user:" + password + text
    case 2: url = "amqp://rabbit/?client_properties=" + text
    case 3: url = "amqp://rabbit/?ssl_options=" + text
    default: url = "amqp://rabbit/?tcp_options=" + text
    }
    let mayShowPassword = mode % 5 != 1 || passwordParts.contains { text.contains($0) }

    // Redacted, the URL shows no password; one that parsed parses again to the same
    // parameters, "<redacted>" for the password.
    let redacted = URLParameters.redactingPassword(in: url)
    if !mayShowPassword {
        fuzzCheck(!passwordParts.contains { redacted.contains($0) }, "password in the redacted URL \(redacted)")
    }
    if let parameters = try? URLParameters(url) {
        let again = try? URLParameters(redacted)
        fuzzCheck(
            again.map { URLParameters.describe($0.connectionParameters) } == URLParameters.describe(parameters.connectionParameters),
            "the redacted URL \(redacted) parses to other parameters")
        if let original = parameters.connectionParameters.credentials as? PlainCredentials, url.contains(":"),
            let redactedCredentials = again?.connectionParameters.credentials as? PlainCredentials
        {
            fuzzCheck(
                redactedCredentials.password == (redacted == url ? original.password : "<redacted>"),
                "the redacted URL \(redacted) has password \(redactedCredentials.password)")
        }
    }

    do throws(URLParametersError) {
        let parameters = try URLParameters(url)
        var described = parameters.description
        do throws(ParametersError) {
            try parameters.connectionParameters.validate()
        } catch {
            fuzzCheck(false, "parsed parameters fail validation: \(error)")
        }
        // The description is the same whatever the password.
        var blanked = parameters.connectionParameters
        if let credentials = blanked.credentials as? PlainCredentials {
            blanked.credentials = PlainCredentials(username: credentials.username, password: "")
            described += String(reflecting: credentials)
        }
        fuzzCheck(
            URLParameters.describe(blanked) == URLParameters.describe(parameters.connectionParameters),
            "the description depends on the password")
        if !mayShowPassword {
            let shown = passwordParts.filter { described.contains($0) }
            fuzzCheck(shown.isEmpty || parametersShowPasswordLegitimately(parameters, shown), "password in \(described)")
        }
    } catch {
        let text = error.description + (error.key ?? "")
        if !mayShowPassword {
            fuzzCheck(!passwordParts.contains { text.contains($0) }, "password in error \(text)")
        }
    }
    return 0
}

/// Whether password fragments in a description come from the host, user name or virtual host
/// (the input can put them there, for example `amqp://user:Zq8WxK3v@Zq8WxK3v`).
func parametersShowPasswordLegitimately(_ parameters: URLParameters, _ shown: [String]) -> Bool {
    let connection = parameters.connectionParameters
    let visible = connection.host + " " + connection.virtualHost + " "
        + ((connection.credentials as? PlainCredentials)?.username ?? "")
    return shown.allSatisfy { visible.lowercased().contains($0.lowercased()) }
}

extension URLParameters {
    /// The description of `parameters`, as URLParameters prints it.
    static func describe(_ parameters: ConnectionParameters) -> String {
        "\(parameters)"
    }
}

let seeds: [String] = [
    "\u{0}amqp://guest:guest@localhost:5672/%2F",
    "\u{0}amqps://user:p%40ss@[::1]:5671/vhost?heartbeat=30&channel_max=10&frame_max=8192",
    "\u{0}amqp://rabbit/v?connection_attempts=3&retry_delay=1.5&socket_timeout=5&stack_timeout=10"
        + "&blocked_connection_timeout=60&locale=en_US&auth_mechanism=EXTERNAL",
    "\u{0}amqp://[fe80::1%25eth0]/?client_properties=%7B%22connection_name%22%3A%22x%22%7D",
    "\u{1}@rabbit:5672/%2f?heartbeat=5",
    "\u{1}/x@rabbit",
    "\u{1}?heartbeat=1@rabbit",
    "\u{2}{\"connection_name\":\"w\",\"n\":1,\"d\":-2.5e3,\"t\":true,\"v\":null,\"a\":[1,\"\\u00e9\\ud83d\\ude00\"],\"o\":{}}",
    "\u{3}{\"ca_certs\":\"/ca.pem\",\"certfile\":\"/c.pem\",\"keyfile\":\"/k.pem\",\"server_hostname\":\"h\",\"verify\":true,\"check_hostname\":false}",
    "\u{4}{\"TCP_KEEPIDLE\":60,\"TCP_KEEPINTVL\":10,\"TCP_KEEPCNT\":3,\"TCP_USER_TIMEOUT\":1000,\"TCP_KEEPALIVE\":true}",
]

FuzzDriver.main(seeds: seeds.map { Array($0.utf8) }, fuzzURL)
