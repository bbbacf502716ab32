// Publishing one message and waiting until the broker has it.

import AMQPProtocol
import Hare

/// Runs a program that publishes one message with publisher confirms, prints whether the broker
/// took it, and closes.
///
/// - Parameters:
///   - declare: runs first on the new channel, to declare what the message goes to.
///   - body: the message.
///   - exchange: the exchange to publish to; "" is the default exchange, which routes by queue
///     name.
///   - routingKey: the routing key.
///   - properties: the message's properties (delivery mode, ...).
///   - mandatory: a message no queue takes comes back (basic.return, before the confirm) and
///     counts as not sent.
///   - sentLine: printed when the broker confirms the message.
///   - failedLine: printed when it refuses it (basic.nack) or no queue took a mandatory one.
/// - Returns: the exit status: 0 when the message was sent.
public func publishConfirmed(
    declaring declare: @escaping (SelectChannel) -> Void, body: String, exchange: String = "", routingKey: String,
    properties: AMQP.BasicProperties = AMQP.BasicProperties(), mandatory: Bool = false,
    sentLine: String, failedLine: String
) -> Int32 {
    var sent = false
    var returned = false
    let connection = openChannel { channel in
        channel.addOnReturnCallback { _, _, _, _ in returned = true }
        declare(channel)
        channel.confirmDelivery(ackNackCallback: { channel, confirm in
            sent = confirm.isAck && !returned
            say(sent ? sentLine : failedLine)
            channel.connection.close()
        }) { result in
            guard case .success = result else { return }
            _ = try? channel.basicPublish(
                exchange: exchange, routingKey: routingKey, body: body, properties: properties, mandatory: mandatory
            )
        }
    }
    _ = runUntilClosed(connection)
    return sent ? 0 : 1
}
