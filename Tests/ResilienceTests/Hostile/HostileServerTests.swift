import AMQPProtocol
import Hare
import NIOCore
import Testing

/// Issue 6, section 4: a server that breaks the protocol. Each scenario ends with a typed error,
/// the connection and its socket closed, the close code the spec asks for sent back (where the
/// client is to send one), and memory bounded.
extension Resilience {
    @Suite("Hostile servers")
    struct HostileServers {
        /// The frame_max both sides negotiate in these scripts (client and fake server: 128 KiB).
        static let frameMax = 131_072

        // MARK: 1. A frame larger than frame_max

        @Test("a frame larger than the negotiated frame_max: 501 FRAME_ERROR", arguments: [
            UInt32(frameMax - 8 + 1),  // one byte over, sent in full
            UInt32.max,  // 4 GiB announced, only the header sent: nothing may be allocated for it
        ])
        func frameOverFrameMax(payloadSize: UInt32) async throws {
            let oversized: ByteBuffer = if payloadSize == UInt32.max {
                HostileFrames.frameHeader(type: AMQPFrame.FrameType.body, channel: 1, payloadSize: payloadSize)
            } else {
                HostileFrames.frame(type: AMQPFrame.FrameType.body, channel: 1, payload: Array(repeating: 0x61, count: Int(payloadSize)))
            }
            let outcome = try await Hostile.afterOpen([.expectMethod("channel.open"), .send(oversized)])

            let violation = try #require(outcome.ending as? ProtocolViolationError, "ended with \(String(describing: outcome.ending))")
            #expect(violation.decodingError?.kind == .frameTooLarge(size: Int(payloadSize) + 8, limit: Self.frameMax))
            #expect(violation.reason.contains("exceeds frame_max"))
            #expect(outcome.clientClose?.replyCode == AMQP.ReplyCode.frameError.rawValue)
            #expect((outcome.channelError as? ChannelClosedByConnection)?.connectionError is ProtocolViolationError)
            outcome.expectClosedAndBounded()
        }

        // MARK: 2. frame_max under 4096 in connection.tune

        @Test("connection.tune with frame_max under 4096 is refused")
        func tuneFrameMaxTooSmall() async throws {
            let outcome = try await Hostile.duringHandshake([
                .expectProtocolHeader,
                .start(),
                .expectMethod("connection.start-ok"),
                .tune(frameMax: 1024),
            ])

            let violation = try #require(outcome.ending as? ProtocolViolationError, "ended with \(String(describing: outcome.ending))")
            #expect(violation.reason.contains("frame_max 1024 is under the AMQP minimum of 4096"))
            #expect(violation.decodingError == nil)
            // The client neither accepts the limits (tune-ok) nor goes on to open.
            #expect(outcome.methodNames == ["connection.start-ok"])
            outcome.expectClosedAndBounded()
        }

        // MARK: 3. A content header announcing a 2^63-byte body

        @Test("a content header with body size 2^63: refused without allocating it")
        func bodySizeTwoToThe63() async throws {
            let bodySize = UInt64(1) << 63
            let outcome = try await Hostile.afterOpen(FakeServer.Step.openChannel() + [
                .sendMethod(channel: 1, .basicDeliver(AMQP.Basic.Deliver(consumerTag: "ctag", deliveryTag: 1, routingKey: "q"))),
                .send(HostileFrames.contentHeader(channel: 1, bodySize: bodySize)),
            ])

            let violation = try #require(outcome.ending as? ProtocolViolationError, "ended with \(String(describing: outcome.ending))")
            #expect(violation.decodingError?.kind == .bodyTooLarge(size: bodySize, limit: ConnectionParameters.defaultMaxBodySize))
            #expect(outcome.clientClose?.replyCode == AMQP.ReplyCode.syntaxError.rawValue)
            #expect(outcome.channelError == nil)
            outcome.expectClosedAndBounded()
        }

        // MARK: 4. Field tables nested 1,000 deep

        @Test("a field table nested 1,000 deep in a content header's headers: 502 SYNTAX_ERROR")
        func tableNestedThousandDeep() async throws {
            let headers = HostileFrames.nestedTable(depth: 1000)
            let outcome = try await Hostile.afterOpen(FakeServer.Step.openChannel() + [
                .sendMethod(channel: 1, .basicDeliver(AMQP.Basic.Deliver(consumerTag: "ctag", deliveryTag: 1, routingKey: "q"))),
                .send(HostileFrames.contentHeader(channel: 1, bodySize: 1, flags: HostileFrames.headersFlag, properties: headers)),
            ])

            let violation = try #require(outcome.ending as? ProtocolViolationError, "ended with \(String(describing: outcome.ending))")
            #expect(violation.decodingError?.kind == .nestingTooDeep(limit: AMQPLimits.maxNestingDepth))
            #expect(outcome.clientClose?.replyCode == AMQP.ReplyCode.syntaxError.rawValue)
            outcome.expectClosedAndBounded()
        }

        /// Before tune a frame may be 4096 bytes: 600 levels (6 bytes each, empty keys) fit.
        @Test("a field table nested 600 deep in connection.start's server-properties")
        func startPropertiesNestedDeep() async throws {
            let outcome = try await Hostile.duringHandshake([
                .expectProtocolHeader,
                .send(HostileFrames.start(rawServerProperties: HostileFrames.nestedTable(depth: 600, key: ""))),
            ])

            let incompatible = try #require(outcome.ending as? IncompatibleProtocolError, "ended with \(String(describing: outcome.ending))")
            #expect(incompatible.reason.contains("nested deeper than \(AMQPLimits.maxNestingDepth)"))
            #expect(outcome.methodNames.isEmpty)
            outcome.expectClosedAndBounded()
        }

        // MARK: 5. A length prefix past the end of the frame

        /// Where the lying length prefix is.
        enum LengthPrefix: String, CaseIterable, CustomTestStringConvertible, Sendable {
            case shortString, longString, fieldTable

            var testDescription: String { rawValue }

            /// The script after the handshake.
            var script: [FakeServer.Step] {
                let deliver = FakeServer.Step.sendMethod(
                    channel: 1, .basicDeliver(AMQP.Basic.Deliver(consumerTag: "ctag", deliveryTag: 1, routingKey: "q"))
                )
                switch self {
                case .shortString:
                    // basic.deliver whose consumer tag says 200 bytes; 3 follow.
                    return FakeServer.Step.openChannel() + [.send(HostileFrames.methodFrame(
                        channel: 1, classID: AMQP.Basic.Deliver.classID, methodID: AMQP.Basic.Deliver.methodID,
                        arguments: [200] + Array("abc".utf8)
                    ))]
                case .longString:
                    // channel.open-ok whose reserved long string says 2 GiB; none follow.
                    return [.expectMethod("channel.open"), .send(HostileFrames.methodFrame(
                        channel: 1, classID: AMQP.Channel.OpenOk.classID, methodID: AMQP.Channel.OpenOk.methodID,
                        arguments: HostileFrames.bigEndian(UInt32(0x7FFF_FFF0))
                    ))]
                case .fieldTable:
                    // A content header whose headers table says 1 MiB; 8 bytes follow.
                    let table = HostileFrames.bigEndian(UInt32(1 << 20)) + Array("abcdefgh".utf8)
                    return FakeServer.Step.openChannel() + [
                        deliver,
                        .send(HostileFrames.contentHeader(channel: 1, bodySize: 1, flags: HostileFrames.headersFlag, properties: table)),
                    ]
                }
            }
        }

        @Test("a length prefix past the end of its frame: 502 SYNTAX_ERROR", arguments: LengthPrefix.allCases)
        func lengthPastFrameEnd(prefix: LengthPrefix) async throws {
            let outcome = try await Hostile.afterOpen(prefix.script)

            let violation = try #require(outcome.ending as? ProtocolViolationError, "ended with \(String(describing: outcome.ending))")
            guard case .truncated? = violation.decodingError?.kind else {
                Issue.record("decoding error \(String(describing: violation.decodingError)), expected truncated")
                return
            }
            #expect(outcome.clientClose?.replyCode == AMQP.ReplyCode.syntaxError.rawValue)
            outcome.expectClosedAndBounded()
        }

        // MARK: 6. An HTTP response instead of AMQP

        @Test("an HTTP response instead of connection.start")
        func httpResponse() async throws {
            let http = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Request"
            let outcome = try await Hostile.duringHandshake([.expectProtocolHeader, .bytes(Array(http.utf8))])

            let incompatible = try #require(outcome.ending as? IncompatibleProtocolError, "ended with \(String(describing: outcome.ending))")
            #expect(incompatible.reason.contains("unknown frame type \(UInt8(ascii: "H"))"))
            // Nothing to close before connection.start: the client just drops the socket.
            #expect(outcome.methodNames.isEmpty)
            outcome.expectClosedAndBounded()
        }

        // MARK: 7. Garbage after the handshake

        @Test("garbage bytes after the handshake: 501 FRAME_ERROR")
        func garbageAfterHandshake() async throws {
            let outcome = try await Hostile.afterOpen([.expectMethod("channel.open"), .bytes(HostileFrames.garbage(count: 4096))])

            let violation = try #require(outcome.ending as? ProtocolViolationError, "ended with \(String(describing: outcome.ending))")
            #expect(violation.decodingError?.kind == .unknownFrameType(0xDE))
            #expect(outcome.clientClose?.replyCode == AMQP.ReplyCode.frameError.rawValue)
            outcome.expectClosedAndBounded()
        }

        // MARK: 8. A heartbeat on a non-zero channel

        @Test("a heartbeat frame on channel 3: 501 FRAME_ERROR")
        func heartbeatOnNonZeroChannel() async throws {
            let outcome = try await Hostile.afterOpen([
                .expectMethod("channel.open"),
                .send(HostileFrames.frame(type: AMQPFrame.FrameType.heartbeat, channel: 3, payload: [])),
            ])

            let violation = try #require(outcome.ending as? ProtocolViolationError, "ended with \(String(describing: outcome.ending))")
            #expect(violation.decodingError?.kind == .invalidHeartbeat)
            #expect(outcome.clientClose?.replyCode == AMQP.ReplyCode.frameError.rawValue)
            outcome.expectClosedAndBounded()
        }

        // MARK: 9. A method for a channel that was never opened

        @Test("a method frame on a channel never opened: 504 CHANNEL_ERROR, then close-ok")
        func methodOnUnopenedChannel() async throws {
            let outcome = try await Hostile.afterOpen([
                .expectMethod("channel.open"),
                .sendMethod(channel: 7, .basicAck(AMQP.Basic.Ack(deliveryTag: 1))),
                .expectMethod("connection.close"),
                .sendMethod(channel: 0, .connectionCloseOk(AMQP.Connection.CloseOk())),
            ])

            let violation = try #require(outcome.ending as? ProtocolViolationError, "ended with \(String(describing: outcome.ending))")
            #expect(violation.reason.contains("channel 7"))
            #expect(violation.decodingError == nil)
            let close = try #require(outcome.clientClose)
            #expect(close.replyCode == AMQP.ReplyCode.channelError.rawValue)
            #expect(close.replyText.contains("channel 7"))
            #expect((outcome.channelError as? ChannelClosedByConnection)?.connectionError is ProtocolViolationError)
            outcome.expectClosedAndBounded()
        }
    }
}
