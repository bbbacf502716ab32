import AMQPProtocol
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// Pika's connection workflow: each parameter set in turn, each `connectionAttempts` times with
/// `retryDelay` between attempts, until one connection opens. `socketTimeout` bounds each TCP
/// connect, `stackTimeout` the whole attempt (TCP, TLS and the AMQP handshake).
///
/// Refused credentials and refused virtual hosts end the workflow at once: trying again cannot
/// help, and the caller gets that error itself rather than a summary. `cancel()` abandons the
/// workflow (the application closed the connection while it was opening). Confined to the loop.
final class ConnectionWorkflow {
    let candidates: [ConnectionParameters]
    let eventLoop: any EventLoop
    let logger: Logger
    /// Called on the event loop with the handler of the connection being opened, so the face
    /// can wire its events.
    let prepare: (AMQPConnectionHandler) -> Void
    private let promise: EventLoopPromise<AMQPConnectionHandler>
    private var current: ConnectionAttempt?
    private var finished = false

    init(candidates: [ConnectionParameters], eventLoop: any EventLoop, logger: Logger, prepare: @escaping (AMQPConnectionHandler) -> Void) {
        self.candidates = candidates
        self.eventLoop = eventLoop
        self.logger = logger
        self.prepare = prepare
        promise = eventLoop.makePromise(of: AMQPConnectionHandler.self)
    }

    /// Abandons the workflow at once: the attempt under way is aborted and the workflow fails
    /// with `error`.
    func cancel(_ error: any AMQPConnectionError) {
        guard !finished else { return }
        let attempt = current
        current = nil
        finish(.failure(error))
        attempt?.abort(error)
    }

    /// Runs the workflow; the future succeeds with the open connection's handler.
    func run() -> EventLoopFuture<AMQPConnectionHandler> {
        var plan: [(ConnectionParameters, Int)] = []
        for parameters in candidates {
            do {
                try parameters.validate()
                try Self.checkHandshakeFits(parameters)
            } catch {
                finish(.failure(error))
                return promise.futureResult
            }
            for attempt in 1...Swift.max(1, parameters.connectionAttempts) {
                plan.append((parameters, attempt))
            }
        }
        guard !plan.isEmpty else {
            finish(.failure(ParametersError(key: "parameters", reason: "no connection parameters were given")))
            return promise.futureResult
        }
        step(plan[...], errors: [])
        return promise.futureResult
    }

    private func finish(_ result: Result<AMQPConnectionHandler, any Error>) {
        guard !finished else {
            // Cancelled while this connection opened: close it again.
            if case .success(let handler) = result { handler.close(replyCode: 200, replyText: "Normal shutdown") }
            return
        }
        finished = true
        promise.completeWith(result)
    }

    private func step(_ plan: ArraySlice<(ConnectionParameters, Int)>, errors: [any Error & Sendable]) {
        guard !finished else { return }
        guard let (parameters, attempt) = plan.first else {
            if errors.count == 1, let only = errors.first {
                finish(.failure(only))
            } else {
                finish(.failure(AMQPConnectionWorkflowFailed(errors: errors)))
            }
            return
        }
        let rest = plan.dropFirst()
        logger.debug("connecting", metadata: ["host": "\(parameters.host)", "port": "\(parameters.port)", "attempt": "\(attempt)"])
        let attemptRun = ConnectionAttempt(parameters: parameters, eventLoop: eventLoop, logger: logger, prepare: prepare)
        current = attemptRun
        attemptRun.run().assumeIsolatedUnsafeUnchecked().whenComplete { [self] result in
            current = nil
            switch result {
            case .success(let handler):
                finish(.success(handler))
            case .failure(let error):
                attemptFailed(error, parameters: parameters, attempt: attempt, rest: rest, errors: errors)
            }
        }
    }

    private func attemptFailed(
        _ error: any Error, parameters: ConnectionParameters, attempt: Int,
        rest: ArraySlice<(ConnectionParameters, Int)>, errors: [any Error & Sendable]
    ) {
        guard !finished else { return }
        logger.info("connection attempt failed", metadata: [
            "host": "\(parameters.host)", "port": "\(parameters.port)", "attempt": "\(attempt)", "error": "\(error)",
        ])
        if error is ProbableAuthenticationError || error is ProbableAccessDeniedError || error is AuthenticationError
            || error is ParametersError {
            finish(.failure(error))
            return
        }
        let sendable: any Error & Sendable = (error as? any AMQPError) ?? StreamLostError(reason: "connect failed", underlying: IOFailure(error))
        let errors = errors + [sendable]
        guard let next = rest.first else {
            step(rest, errors: errors)
            return
        }
        // retry_delay separates the attempts at one parameter set; the next set is tried at once.
        let delay = next.0.host == parameters.host && next.0.port == parameters.port ? parameters.retryDelay : 0
        eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .clampedSeconds(delay)) { [self] in
            step(rest, errors: errors)
        }
    }
}

extension ConnectionWorkflow {
    /// connection.start-ok must fit in the 4096 bytes allowed before tune: check the client
    /// properties (nesting, key lengths, size) before connecting rather than stall the handshake.
    static func checkHandshakeFits(_ parameters: ConnectionParameters) throws(ParametersError) {
        let startOk = AMQP.Connection.StartOk(
            clientProperties: ClientProperties.make(user: parameters.clientProperties),
            mechanism: parameters.credentials.mechanism,
            response: ByteBuffer(bytes: parameters.credentials.initialResponse()),
            locale: parameters.locale
        )
        let size: Int
        do {
            size = try startOk.encodedSize() + 4 + AMQPLimits.frameOverhead
        } catch {
            throw ParametersError(key: "client_properties", reason: "cannot be encoded: \(error)")
        }
        guard size <= AMQPLimits.minimumFrameMax else {
            throw ParametersError(
                key: "client_properties",
                reason: "connection.start-ok would be \(size) bytes, over the \(AMQPLimits.minimumFrameMax) allowed before tune"
            )
        }
    }
}

/// An I/O error as a `Sendable` value (NIO's errors are, but `any Error` is not known to be).
struct IOFailure: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ error: any Error) { description = "\(error)" }
}
