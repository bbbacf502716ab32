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
/// help, and the caller gets that error itself rather than a summary.
struct ConnectionWorkflow {
    let candidates: [ConnectionParameters]
    let eventLoop: any EventLoop
    let logger: Logger
    /// Called on the event loop with each new handler before it is added to the pipeline, so the
    /// face can wire its events.
    let prepare: (AMQPConnectionHandler) -> Void

    /// Runs the workflow; the future succeeds with the open connection's handler.
    func run() -> EventLoopFuture<AMQPConnectionHandler> {
        let promise = eventLoop.makePromise(of: AMQPConnectionHandler.self)
        var plan: [(ConnectionParameters, Int)] = []
        for parameters in candidates {
            do {
                try parameters.validate()
            } catch {
                promise.fail(error)
                return promise.futureResult
            }
            for attempt in 1...Swift.max(1, parameters.connectionAttempts) {
                plan.append((parameters, attempt))
            }
        }
        guard !plan.isEmpty else {
            promise.fail(ParametersError(key: "parameters", reason: "no connection parameters were given"))
            return promise.futureResult
        }
        step(plan[...], errors: [], promise: promise)
        return promise.futureResult
    }

    private func step(_ plan: ArraySlice<(ConnectionParameters, Int)>, errors: [any Error & Sendable], promise: EventLoopPromise<AMQPConnectionHandler>) {
        guard let (parameters, attempt) = plan.first else {
            if errors.count == 1, let only = errors.first {
                promise.fail(only)
            } else {
                promise.fail(AMQPConnectionWorkflowFailed(errors: errors))
            }
            return
        }
        let rest = plan.dropFirst()
        logger.debug("connecting", metadata: ["host": "\(parameters.host)", "port": "\(parameters.port)", "attempt": "\(attempt)"])
        let loop = eventLoop.assumeIsolatedUnsafeUnchecked()
        ConnectionAttempt(parameters: parameters, eventLoop: eventLoop, logger: logger, prepare: prepare).run()
            .assumeIsolatedUnsafeUnchecked()
            .whenComplete { result in
                switch result {
                case .success(let handler):
                    promise.succeed(handler)
                case .failure(let error):
                    logger.info("connection attempt failed", metadata: [
                        "host": "\(parameters.host)", "port": "\(parameters.port)", "attempt": "\(attempt)", "error": "\(error)",
                    ])
                    let sendable: any Error & Sendable = (error as? any AMQPError) ?? StreamLostError(reason: "connect failed", underlying: IOFailure(error))
                    if error is ProbableAuthenticationError || error is ProbableAccessDeniedError || error is AuthenticationError
                        || error is ParametersError {
                        promise.fail(error)
                        return
                    }
                    var errors = errors
                    errors.append(sendable)
                    guard let next = rest.first else {
                        step(rest, errors: errors, promise: promise)
                        return
                    }
                    // The delay applies between attempts at the same parameters and between sets.
                    let delay = next.0.host == parameters.host && next.0.port == parameters.port ? parameters.retryDelay : 0
                    loop.scheduleTask(in: .clampedSeconds(delay)) {
                        step(rest, errors: errors, promise: promise)
                    }
                }
            }
    }
}

/// An I/O error as a `Sendable` value (NIO's errors are, but `any Error` is not known to be).
struct IOFailure: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ error: any Error) { description = "\(error)" }
}
