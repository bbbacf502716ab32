import AMQPProtocol
import NIOCore

/// One basic.publish with its content, as the channel machine queues it.
struct PublishRequest {
    var exchange: String
    var routingKey: String
    var mandatory: Bool
    var immediate: Bool
    var properties: AMQP.BasicProperties
    var body: ByteBuffer
    /// The publish sequence number in confirm mode, nil otherwise.
    var sequenceNumber: UInt64?

    var method: AMQP.Basic.Publish {
        AMQP.Basic.Publish(exchange: exchange, routingKey: routingKey, mandatory: mandatory, immediate: immediate)
    }

    /// The sizes of this message's frames with bodies cut to fit `frameMax`; computing them
    /// checks everything that could make encoding the message fail.
    func layout(frameMax: Int) throws(AMQPProtocolError) -> AMQPMessageLayout {
        try AMQPMessageLayout(method: method, properties: properties, bodySize: body.readableBytes, frameMax: frameMax)
    }
}

extension PublishRequest {
    /// A publish as `basicPublish` takes it (immediate is never set; RabbitMQ refuses it).
    init(exchange: String, routingKey: String, body: ByteBuffer, properties: AMQP.BasicProperties, mandatory: Bool) {
        self.init(
            exchange: exchange, routingKey: routingKey, mandatory: mandatory, immediate: false, properties: properties, body: body,
            sequenceNumber: nil
        )
    }
}
