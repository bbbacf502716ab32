import AMQPProtocol
import Hare

import HareTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the test broker is: `HARE_TEST_URL`, by default the local RabbitMQ that
/// `scripts/rabbitmq start` runs.
enum Broker {
    static let defaultURL = "amqp://guest:guest@127.0.0.1:5672/"

    /// The URL the tests use.
    static var url: String {
        getenv("HARE_TEST_URL").map { String(cString: $0) } ?? defaultURL
    }

    /// The parameters from `url`, adjusted by `change`. Every test connection gets a
    /// `connection_name` (so `rabbitmqctl` can find it) and short timeouts (a broken broker makes
    /// tests fail fast rather than hang).
    static func parameters(
        name: String = Names.unique("hare-test"), _ change: (inout ConnectionParameters) -> Void = { _ in }
    ) throws -> ConnectionParameters {
        var parameters = try URLParameters(url).connectionParameters
        var properties = parameters.clientProperties ?? [:]
        properties["connection_name"] = .string(name)
        parameters.clientProperties = properties
        parameters.socketTimeout = 5
        parameters.stackTimeout = 10
        change(&parameters)
        return parameters
    }

    /// The user the URL names (RabbitMQ only accepts a `user_id` property equal to it).
    static var username: String {
        get throws {
            let credentials = try URLParameters(url).connectionParameters.credentials
            return (credentials as? PlainCredentials)?.username ?? "guest"
        }
    }
}

/// Unique names, so tests never share a queue or an exchange.
enum Names {
    /// `prefix` with a random suffix.
    static func unique(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let suffix = String(generator.next() as UInt64, radix: 36)
        return "\(prefix)-\(suffix)"
    }
}
