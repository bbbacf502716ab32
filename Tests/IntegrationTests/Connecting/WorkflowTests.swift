import Hare
import NIOCore
import NIOPosix
import Testing

import HareTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Integration {
    /// Pika's connection workflow: attempts x retry delay, a list of parameter sets tried in
    /// order, socket_timeout for the TCP connect and stack_timeout for the whole handshake.
    @Suite("Connection workflow")
    struct WorkflowTests {
        /// A port on 127.0.0.1 where nothing listens.
        func closedPort() throws -> Int {
            let listener = try SilentListener(fillBacklog: false)
            return listener.port  // closed again when the listener goes
        }

        func seconds(since start: ContinuousClock.Instant) -> Double {
            let elapsed = ContinuousClock.now - start
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }

        @Test("every attempt is made, retry_delay apart, and each failure is reported")
        func attemptsAndRetryDelay() async throws {
            let parameters = try Broker.parameters {
                $0.port = try! closedPort()
                $0.connectionAttempts = 3
                $0.retryDelay = 0.3
            }
            let start = ContinuousClock.now
            do {
                _ = try await CallbackConnection.open(parameters)
                Issue.record("a connection to a closed port opened")
            } catch let failed as AMQPConnectionWorkflowFailed {
                #expect(failed.errors.count == 3)
                #expect(failed.errors.allSatisfy { $0 is StreamLostError }, "\(failed)")
            }
            let elapsed = seconds(since: start)
            #expect(elapsed >= 0.55, "three attempts 0.3 s apart took only \(elapsed) s")
        }

        @Test("a list of parameter sets is tried in order until one connects")
        func parameterListFallsThrough() async throws {
            let unreachable = try Broker.parameters { $0.port = try! closedPort() }
            let good = try Broker.parameters()
            let opened = try await awaitCallback("the second parameter set to open") { done in
                let connection = SelectConnection(
                    parameters: [unreachable, good],
                    onOpen: { connection in done(.success(connection)) },
                    onOpenError: { _, error in done(.failure(error)) }
                )
                _ = connection
            }
            #expect(opened.isOpen)
            opened.close()
            opened.ioloop.close()
        }

        @Test("refused credentials end the workflow at once, without more attempts")
        func authenticationFailureIsNotRetried() async throws {
            let parameters = try Broker.parameters {
                $0.credentials = PlainCredentials(username: "guest", password: "not-the-password")
                $0.connectionAttempts = 3
                $0.retryDelay = 5
            }
            let start = ContinuousClock.now
            await #expect(throws: ProbableAuthenticationError.self) {
                _ = try await CallbackConnection.open(parameters)
            }
            #expect(seconds(since: start) < 4, "the workflow waited for a retry after refused credentials")
        }

        @Test("stack_timeout bounds the handshake with a peer that accepts and says nothing")
        func stackTimeout() async throws {
            let listener = try SilentListener(fillBacklog: false)
            let parameters = try Broker.parameters {
                $0.port = listener.port
                $0.stackTimeout = 0.5
            }
            let start = ContinuousClock.now
            await #expect(throws: AMQPConnectionTimeout.self) {
                _ = try await CallbackConnection.open(parameters)
            }
            #expect(seconds(since: start) < 3)
            withExtendedLifetime(listener) {}
        }

        @Test("socket_timeout bounds a TCP connect that hangs")
        func socketTimeout() async throws {
            let listener = try SilentListener(fillBacklog: true)
            let parameters = try Broker.parameters {
                $0.port = listener.port
                $0.socketTimeout = 0.5
                $0.stackTimeout = 30
            }
            let start = ContinuousClock.now
            do {
                _ = try await CallbackConnection.open(parameters)
                Issue.record("a connection to a silent listener opened")
            } catch let timeout as AMQPConnectionTimeout {
                #expect(timeout.stage.contains("socket_timeout"), "\(timeout)")
            } catch {
                Issue.record("expected AMQPConnectionTimeout for the TCP connect, got \(error)")
            }
            #expect(seconds(since: start) < 3)
            withExtendedLifetime(listener) {}
        }

        @Test("close() while opening abandons the attempt at once: onOpenError gets ConnectionOpenAborted")
        func closeWhileOpening() async throws {
            let listener = try SilentListener(fillBacklog: false)
            let parameters = try Broker.parameters {
                $0.port = listener.port
                $0.stackTimeout = 30
                $0.connectionAttempts = 3
            }
            let start = ContinuousClock.now
            let error: any Error = try await awaitCallback("onOpenError after close()") { done in
                let connection = SelectConnection(
                    parameters: parameters,
                    onOpen: { _ in done(.failure(ScenarioFailure("a silent peer opened"))) },
                    onOpenError: { _, error in done(.success(error)) }
                )
                connection.ioloop.callLater(0.3) { connection.close() }
            }
            #expect(error is ConnectionOpenAborted, "\(error)")
            #expect(seconds(since: start) < 3)
            withExtendedLifetime(listener) {}
        }

        @Test("a client close that crosses the broker's close leaves the connection open")
        func crossingChannelCloses() async throws {
            try await CallbackFace.withChannel { connection, channel in
                // The publish to a missing exchange makes the broker close the channel (404)
                // while our own close is on its way: both closes cross.
                let select = channel.channel
                select.connection.ioloop.addCallbackThreadsafe {
                    _ = try? select.basicPublish(exchange: Names.unique("hare-test-missing"), routingKey: "x", body: "lost")
                    select.close()
                }
                let closed = try await channel.closes.next(timeout: 10)
                #expect(closed is ChannelClosedByBroker || closed is ChannelClosedByClient, "\(closed)")
                try await pause(0.3)
                #expect(connection.isOpen)
                let another = try await connection.openChannel()
                let declared = try await another.queueDeclare("", passive: false, durable: false, exclusive: true, autoDelete: true, arguments: [:])
                #expect(declared.queue.hasPrefix("amq.gen-"))
            }
        }

        @Test("SelectConnection runs on an existing NIO event loop group (an external loop)")
        func externalEventLoopGroup() async throws {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let parameters = try Broker.parameters()
            let opened = try await awaitCallback("a connection on the external group to open") { done in
                _ = SelectConnection(
                    parameters: parameters,
                    onOpen: { connection in
                        #expect(connection.ioloop.eventLoop.inEventLoop)
                        done(.success(connection))
                    },
                    onOpenError: { _, error in done(.failure(error)) },
                    eventLoopGroup: group
                )
            }
            #expect(opened.ioloop.eventLoop === group.next())
            let closed: any Error = try await awaitCallback("the connection to close") { done in
                opened.addOnCloseCallback { _, error in done(.success(error)) }
                opened.close()
            }
            #expect(closed is ConnectionClosedByClient)
            try await group.shutdownGracefully()
        }
    }
}
