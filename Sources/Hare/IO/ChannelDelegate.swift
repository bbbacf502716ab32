import AMQPProtocol
import NIOCore

/// What a channel tells its face. The connection handler calls these on the event loop.
protocol ChannelDelegate: AnyObject {
    /// A message for one of the channel's consumers.
    func channel(_ number: UInt16, didDeliver message: ContentMessage)
    /// A mandatory message came back.
    func channel(_ number: UInt16, didReturn message: ContentMessage)
    /// A publisher confirm.
    func channel(_ number: UInt16, didConfirm confirm: ConfirmEvent)
    /// The broker cancelled a consumer.
    func channel(_ number: UInt16, consumerCancelledByBroker consumerTag: String)
    /// The broker paused or resumed content flow.
    func channel(_ number: UInt16, flowActive: Bool)
    /// The channel closed; `consumers` were its consumers, `unconfirmed` its publishes still
    /// waiting for a confirm, and `continuation` where a replacement's tags start.
    func channel(
        _ number: UInt16, didCloseWith error: any Error, consumers: [String], unconfirmed: [UInt64], continuation: TagOffsets
    )
}

/// How a synchronous request completes; called on the event loop.
typealias RPCCompletion = (Result<ChannelReply, any Error>) -> Void
