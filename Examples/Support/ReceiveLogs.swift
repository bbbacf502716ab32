// Tutorials 3 to 5, the receiving side: every log line an exchange routes to us.

import Hare
import NIOCore

/// Runs a program that declares `exchange`, binds a fresh exclusive queue to it (named by the
/// broker, deleted when we disconnect) and prints every message that arrives until Ctrl-C.
///
/// - Parameter bindingKeys: the queue is bound once per key, and each line shows the routing
///   key the message came with (" [x] key:message"). Nil binds it once without a key (a fanout
///   exchange ignores keys) and prints the message alone (" [x] message").
/// - Returns: the exit status: 0 when Ctrl-C ended the program.
public func receiveLogs(from exchange: Exchange, bindingKeys: [String]? = nil) -> Int32 {
    let connection = openChannel { channel in
        exchange.declare(on: channel)
        channel.queueDeclare(queue: "", exclusive: true) { result in
            guard case .success(let declareOk) = result else { return }
            let queue = declareOk.queue
            if let bindingKeys {
                for key in bindingKeys { channel.queueBind(queue: queue, exchange: exchange.name, routingKey: key) }
            } else {
                channel.queueBind(queue: queue, exchange: exchange.name)
            }
            let announcement = " [*] Waiting for logs. To exit press CTRL+C"
            consume(queue, on: channel, autoAck: true, announcing: announcement) { _, method, _, body in
                say(" [x] " + (bindingKeys == nil ? "" : "\(method.routingKey):") + String(buffer: body))
            }
        }
    }
    return runUntilClosed(connection) ? 0 : 1
}
