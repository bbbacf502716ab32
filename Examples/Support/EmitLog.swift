// Tutorials 3 to 5, the sending side: one log line to an exchange.

import Hare

/// Runs a program that declares `exchange` and publishes `message` to it with `routingKey`,
/// waiting for the broker's confirm before closing. A message no queue is bound for is simply
/// dropped.
///
/// - Parameter routingKey: the routing key; nil publishes with an empty one (a fanout exchange
///   ignores it). Prints " [x] Sent message", or " [x] Sent key:message" with a key.
/// - Returns: the exit status: 0 when the broker took the message.
public func emitLog(_ message: String, to exchange: Exchange, routingKey: String? = nil) -> Int32 {
    publishConfirmed(
        declaring: exchange.declare(on:), body: message, exchange: exchange.name, routingKey: routingKey ?? "",
        sentLine: " [x] Sent " + (routingKey.map { "\($0):" } ?? "") + message,
        failedLine: " [!] The broker refused \(message)"
    )
}
