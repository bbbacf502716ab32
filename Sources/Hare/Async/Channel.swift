import AMQPProtocol
import Logging
import NIOCore

/// A channel of a `Connection` for async/await code: every synchronous AMQP method is an
/// `async throws` method returning the broker's reply.
///
/// Methods may be called from any number of tasks at once; requests go out one at a time in the
/// order they reached the connection's loop (the channel machine's FIFO). Cancelling a task that
/// waits for a reply throws `CancellationError` at once, and a reply that takes longer than the
/// connection's `rpcTimeout` throws `RPCTimeoutError`; either way the reply is discarded when it
/// comes and the channel stays usable. When the channel closes, waiting calls throw why
/// (`ChannelClosedByBroker`, `ChannelClosedByClient`, `ChannelClosedByConnection`) and later
/// calls throw `ChannelWrongStateError`.
public final class Channel: Sendable {
    /// The connection the channel belongs to.
    public let connection: Connection
    /// The callback-face channel underneath.
    let select: SelectChannel
    let closeWatch = CloseWatch()
    let confirmEvents = Broadcaster<PublisherConfirm>(limit: 65_536)
    let returnEvents = Broadcaster<BasicReturnMessage>(limit: 1024)
    /// Confirm waiters, returns and consumers (loop only).
    let state = LoopConfined(value: ChannelLoopState())

    /// Created on the loop, in the channel's onOpen callback, so every callback is in place
    /// before the first frame for the channel arrives.
    init(connection: Connection, select: SelectChannel) {
        self.connection = connection
        self.select = select
        let state = state, closeWatch = closeWatch, confirmEvents = confirmEvents, returnEvents = returnEvents
        select.addOnCloseCallback { _, error in
            closeWatch.finish(error)
            state.value.channelClosed(error)
            confirmEvents.finish()
            returnEvents.finish()
        }
        select.addOnReturnCallback { _, returned, properties, body in
            let message = BasicReturnMessage(method: returned, properties: properties, body: body)
            state.value.returned(message)
            returnEvents.send(message)
        }
        select.addOnCancelCallback { _, cancel in
            state.value.consumerCancelledByBroker(cancel.consumerTag)
        }
        select.addOnConfirmsLostCallback { _, lost in
            state.value.confirmsLost(lost)
        }
        select.onHandedOverMandatory = { number, request in
            state.value.keepMandatory(number, exchange: request.exchange, routingKey: request.routingKey, body: request.body)
        }
    }

    /// The channel number.
    public var channelNumber: UInt16 { select.channelNumber }
    /// Whether the channel is open (false while its connection recovers).
    public var isOpen: Bool { select.isOpen }
    /// Whether the channel waits for its connection to recover; calls made meanwhile wait for
    /// it (or fail, per `RecoveryOptions.whileRecovering`).
    public var isRecovering: Bool { select.isRecovering }
    var eventLoop: any EventLoop { select.eventLoop }

    /// Closes the channel (channel.close, then close-ok) and waits until it is closed; `closed()`
    /// then returns `ChannelClosedByClient(replyCode, replyText)`.
    ///
    /// - Throws: `ChannelWrongStateError` when the channel was already closed,
    ///   `CancellationError` when the task is cancelled while waiting, `RPCTimeoutError` when
    ///   close-ok did not come within the connection's `rpcTimeout` (the close goes on either
    ///   way; the channel refuses work from now on).
    public func close(replyCode: UInt16 = 200, replyText: String = "Normal shutdown") async throws {
        if let reason = closeWatch.reason {
            throw ChannelWrongStateError(reason: "channel \(channelNumber) is already closed (\(reason))")
        }
        select.close(replyCode: replyCode, replyText: replyText)
        switch await closeWatch.wait(deadline: connection.deadline("channel.close")) {
        case let error as CancellationError: throw error
        case let error as RPCTimeoutError: throw error
        default: return
        }
    }

    /// Waits until the channel has closed and returns why (`ChannelClosedByBroker`,
    /// `ChannelClosedByClient`, `ChannelClosedByConnection`); at once when it has. A cancelled
    /// task gets `CancellationError`.
    public func closed() async -> any Error {
        await closeWatch.wait()
    }

    /// Asks the broker to pause (false) or resume (true) deliveries (channel.flow); returns the
    /// broker's flow-ok `active`. RabbitMQ does not support pausing and closes the channel (540).
    @discardableResult
    public func flow(active: Bool) async throws -> Bool {
        try await call { select, done in select.flow(active: active, callback: done) }
    }

    /// Publisher confirms as they arrive (basic.ack / basic.nack in confirm mode), from now on,
    /// including those of messages published with `basicPublish`. Each call gives a new stream;
    /// it keeps at most 65,536 unread confirms and ends when the channel closes. `publish(...)`
    /// does not need it: each publish waits for its own confirm.
    public func publisherConfirms() -> AsyncStream<PublisherConfirm> {
        confirmEvents.subscribe()
    }

    /// Messages the broker returns (basic.return of a mandatory publish no queue took), from now
    /// on. Each call gives a new stream; it keeps at most 1024 unread returns and ends when the
    /// channel closes.
    public func returnedMessages() -> AsyncStream<BasicReturnMessage> {
        returnEvents.subscribe()
    }

    // MARK: Plumbing

    /// Calls a callback-face method and waits for its completion callback, at most the
    /// connection's `rpcTimeout` (`operation` names the wait in `RPCTimeoutError`).
    func call<Reply: Sendable>(
        operation: String = #function, _ start: @escaping (SelectChannel, @escaping (Result<Reply, any Error>) -> Void) -> Void
    ) async throws -> Reply {
        try await awaitReply(deadline: connection.deadline(operation)) { [select] (waiter: ReplyWaiter<Reply>) in
            start(select) { waiter.resolve($0) }
        }
    }

    /// Runs `body` on the connection's loop and returns its result.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        if eventLoop.inEventLoop { return try body() }
        return try await eventLoop.submit(body).get()
    }

    /// Refuses work on a channel that is closing or closed (its number may belong to a newer
    /// channel by now). From any thread; on the loop it is exact.
    func checkOpen(_ what: String) throws(ChannelWrongStateError) {
        guard !select.isClosed, !select.isClosing, closeWatch.reason == nil else {
            throw ChannelWrongStateError(reason: "\(what) on channel \(channelNumber), which is closed")
        }
    }
}
