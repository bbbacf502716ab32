import AMQPProtocol
import Logging
import NIOCore
import Synchronization

/// A channel of a `SelectConnection` (Pika's `pika.channel.Channel`): every method returns at
/// once and reports through callbacks on the connection's loop.
///
/// Synchronous methods take an optional completion callback receiving the broker's reply
/// (`Result<AMQP.Queue.DeclareOk, any Error>`) or the reason it never came (the channel closed:
/// `ChannelClosedByBroker` and friends, or `ChannelWrongStateError` when it was already closed).
/// They are sent one at a time, in the order they were called.
public final class SelectChannel: @unchecked Sendable {
    /// The connection the channel belongs to.
    public let connection: SelectConnection

    enum Status: UInt8, AtomicRepresentable, Sendable {
        /// `recovering`: the connection was lost and the channel waits to be reopened.
        case opening, open, recovering, closing, closed
    }

    /// Read on every publish, from any thread: atomic, no lock.
    let status = Atomic(Status.opening)
    /// `channelNumber`'s storage, atomic for the same reason.
    let atomicNumber = Atomic<UInt16>(0)
    /// Publishes handed over from other threads, waiting for the loop to take them.
    let handoff = LoopHandoff()
    // Everything below is touched on the loop only.
    // The two consumer tables are read on every delivery; no access to them overlaps another
    // (a callback runs on a copy taken out first), so the dynamic exclusivity check is off.
    @exclusivity(unchecked) var consumers: [String: OnMessage] = [:] {
        didSet { lastConsumer = nil }
    }
    /// The consumer of the last delivery, while it still consumes (no hashing for a run of
    /// deliveries to one consumer).
    @exclusivity(unchecked) var lastConsumer: (tag: String, onMessage: OnMessage)?
    typealias OnMessage = (SelectChannel, AMQP.Basic.Deliver, AMQP.BasicProperties, ByteBuffer) -> Void
    var onCloseCallbacks: [(SelectChannel, any Error) -> Void] = []
    var onReturnCallbacks: [(SelectChannel, AMQP.Basic.Return, AMQP.BasicProperties, ByteBuffer) -> Void] = []
    var onCancelCallbacks: [(SelectChannel, AMQP.Basic.Cancel) -> Void] = []
    var onFlowCallbacks: [(SelectChannel, Bool) -> Void] = []
    var ackNackCallback: ((SelectChannel, PublisherConfirm) -> Void)?
    var onConfirmsLostCallbacks: [(SelectChannel, [PublishConfirmLost]) -> Void] = []
    /// Told of each mandatory publish handed over from another thread once it has its sequence
    /// number, in number order and before anything the loop numbers after it: as the loop takes
    /// it (numbered as it was handed over) or as it goes out (numbered then). The async face
    /// keeps these to match basic.returns to its publishes. Loop only.
    var onHandedOverMandatory: ((UInt64, PublishRequest) -> Void)?
    /// Where the tags of the channel that recovery reopens start.
    var continuation = TagOffsets()
    /// A transaction was open when the connection was lost: its uncommitted work is gone, so
    /// the next tx.commit must not commit what came after the recovery alone.
    var transactionLost = false

    init(connection: SelectConnection) {
        self.connection = connection
    }

    /// The channel number (0 until the channel is open).
    public var channelNumber: UInt16 { atomicNumber.load(ordering: .acquiring) }
    /// Whether the channel is open.
    public var isOpen: Bool { status.current == .open }
    /// Whether the channel waits for its connection to recover (see `RecoveryOptions`).
    public var isRecovering: Bool { status.current == .recovering }
    /// Whether the channel is closing.
    public var isClosing: Bool { status.current == .closing }
    /// Whether the channel is closed.
    public var isClosed: Bool { status.current == .closed }

    var eventLoop: any EventLoop { connection.ioloop.eventLoop }
    var logger: Logger {
        var logger = connection.logger
        logger[metadataKey: "amqp.channel"] = "\(channelNumber)"
        return logger
    }

    func didOpen(number: UInt16) {
        atomicNumber.store(number, ordering: .releasing)
        status.set(.open)
    }

    func didFailToOpen(_ error: any Error) {
        status.set(.closed)
    }

    /// Closes the channel (channel.close, then close-ok). Close callbacks receive
    /// `ChannelClosedByClient(replyCode, replyText)`.
    public func close(replyCode: UInt16 = 200, replyText: String = "Normal shutdown") {
        eventLoop.runOnLoop { [self] in
            let previous = status.update { status -> Status in
                let previous = status
                if status == .open || status == .opening { status = .closing }
                return previous
            }
            if previous == .recovering {
                // Nothing to close on the broker: the channel ends here.
                recoveryEnded(ChannelClosedByClient(replyCode: replyCode, replyText: replyText))
                return
            }
            guard previous == .open || previous == .opening, let handler = connection.handler else { return }
            handler.closeChannel(channelNumber, replyCode: replyCode, replyText: replyText) { _ in }
        }
    }

    /// Adds a callback for when the channel closes, with why (`ChannelClosedByBroker`,
    /// `ChannelClosedByClient`, `ChannelClosedByConnection`).
    public func addOnCloseCallback(_ callback: @escaping (SelectChannel, any Error) -> Void) {
        eventLoop.runOnLoop { [self] in onCloseCallbacks.append(callback) }
    }

    /// Adds a callback for messages the broker returns (basic.return of a mandatory publish that
    /// no queue took).
    public func addOnReturnCallback(_ callback: @escaping (SelectChannel, AMQP.Basic.Return, AMQP.BasicProperties, ByteBuffer) -> Void) {
        eventLoop.runOnLoop { [self] in onReturnCallbacks.append(callback) }
    }

    /// Adds a callback for consumers the broker cancels (basic.cancel, for example when the
    /// queue is deleted).
    public func addOnCancelCallback(_ callback: @escaping (SelectChannel, AMQP.Basic.Cancel) -> Void) {
        eventLoop.runOnLoop { [self] in onCancelCallbacks.append(callback) }
    }

    /// Adds a callback for publishes whose confirm was outstanding when the connection was lost
    /// and recovery began: the broker may or may not have them, so republish them for
    /// at-least-once delivery. They get no `PublisherConfirm`.
    public func addOnConfirmsLostCallback(_ callback: @escaping (SelectChannel, [PublishConfirmLost]) -> Void) {
        eventLoop.runOnLoop { [self] in onConfirmsLostCallbacks.append(callback) }
    }

    /// Adds a callback for channel.flow from the broker (true: content may flow).
    public func addOnFlowCallback(_ callback: @escaping (SelectChannel, Bool) -> Void) {
        eventLoop.runOnLoop { [self] in onFlowCallbacks.append(callback) }
    }

    /// Asks the broker to pause (false) or resume (true) deliveries (channel.flow). RabbitMQ
    /// does not support pausing and closes the channel with 540.
    public func flow(active: Bool, callback: ((Result<Bool, any Error>) -> Void)? = nil) {
        call(.channelFlow(AMQP.Channel.Flow(active: active)), as: AMQP.Channel.FlowOk.self) { result in
            callback?(result.map(\.active))
        }
    }

    // MARK: Plumbing for the method extensions

    /// The channel or its connection is recovering: calls wait for it (or fail, per
    /// `RecoveryOptions.whileRecovering`). Loop only.
    var awaitsRecovery: Bool {
        status.current == .recovering || connection.status.current == .recovering
    }

    /// Sends a synchronous method and hands the typed reply to `callback` on the loop.
    func call<Reply: AMQPMethodProtocol>(
        _ method: AMQP.Method, as reply: Reply.Type, waitForRecovery: Bool = true,
        callback: ((Result<Reply, any Error>) -> Void)?
    ) {
        eventLoop.runOnLoop { [self] in
            if awaitsRecovery, waitForRecovery || status.current == .recovering {
                connection.whenRecovered(method.name) { [self] result in
                    switch result {
                    case .success: call(method, as: reply, callback: callback)
                    case .failure(let error): callback?(.failure(error))
                    }
                }
                return
            }
            guard let handler = connection.handler else {
                callback?(.failure(ChannelWrongStateError(reason: "\(method.name): the connection is not open")))
                return
            }
            handler.rpc(method, channel: channelNumber) { [self] result in
                switch result {
                case .success(.method(let answer)):
                    connection.topology.record(method, reply: answer, channel: channelNumber)
                    if let typed = answer.payload as? Reply {
                        callback?(.success(typed))
                    } else {
                        callback?(.failure(ChannelWrongStateError(reason: "\(method.name) got \(answer.name)")))
                    }
                case .success(.message):
                    callback?(.failure(ChannelWrongStateError(reason: "\(method.name) got a message")))
                case .failure(let error):
                    if callback == nil {
                        logger.debug("\(method.name) failed", metadata: ["error": "\(error)", "channel": "\(channelNumber)"])
                    }
                    callback?(.failure(error))
                }
            }
        }
    }

    /// Sends an asynchronous method (a no-wait variant); an error goes to `callback`, or is logged.
    func sendNoWait(_ method: AMQP.Method, failure: ((any Error) -> Void)?) {
        eventLoop.runOnLoop { [self] in
            if awaitsRecovery {
                connection.whenRecovered(method.name) { [self] result in
                    switch result {
                    case .success: sendNoWait(method, failure: failure)
                    case .failure(let error):
                        if let failure { failure(error) } else { logger.error("\(method.name) failed", metadata: ["error": "\(error)"]) }
                    }
                }
                return
            }
            do {
                guard let handler = connection.handler else {
                    throw ChannelWrongStateError(reason: "\(method.name): the connection is not open")
                }
                try handler.send(method, channel: channelNumber)
                connection.topology.record(method, reply: nil, channel: channelNumber)
            } catch {
                if let failure { failure(error) } else {
                    logger.error("\(method.name) failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
