import AMQPProtocol
import Testing

@testable import Hare

@Suite("Tune negotiation")
struct TuneNegotiationTests {
    static func negotiate(
        server: (channelMax: UInt16, frameMax: UInt32, heartbeat: UInt16),
        channelMax: UInt16 = 65535,
        frameMax: UInt32 = 131_072,
        heartbeat: UInt16? = nil,
        callback: (@Sendable (UInt16) -> UInt16)? = nil
    ) -> Result<NegotiatedLimits, TuneNegotiation.Failure> {
        TuneNegotiation.negotiate(
            tune: AMQP.Connection.Tune(channelMax: server.channelMax, frameMax: server.frameMax, heartbeat: server.heartbeat),
            channelMax: channelMax,
            frameMax: frameMax,
            heartbeat: heartbeat,
            heartbeatCallback: callback
        )
    }

    @Test("the lower non-zero channel_max wins", arguments: [
        (UInt16(2047), UInt16(65535), UInt16(2047)),
        (65535, 100, 100),
        (0, 100, 100),
        (2047, 0, 2047),
        (0, 0, 65535),
    ])
    func channelMax(server: UInt16, client: UInt16, expected: UInt16) throws {
        let limits = try Self.negotiate(server: (server, 131_072, 0), channelMax: client).get()
        #expect(limits.channelMax == expected)
    }

    @Test("the lower non-zero frame_max wins; 0 on both sides is no limit", arguments: [
        (UInt32(131_072), UInt32(131_072), UInt32(131_072)),
        (131_072, 4096, 4096),
        (8192, 131_072, 8192),
        (0, 131_072, 131_072),
        (131_072, 0, 131_072),
        (0, 0, UInt32(Int32.max)),
        (4096, 4096, 4096),
    ])
    func frameMax(server: UInt32, client: UInt32, expected: UInt32) throws {
        let limits = try Self.negotiate(server: (0, server, 0), frameMax: client).get()
        #expect(limits.frameMax == expected)
    }

    @Test("a broker frame_max under 4096 is refused", arguments: [UInt32(1), 512, 4095])
    func frameMaxTooSmall(server: UInt32) {
        let result = Self.negotiate(server: (0, server, 0))
        #expect(result == .failure(.frameMaxTooSmall(server)))
    }

    @Test("heartbeat nil takes the broker's value", arguments: [UInt16(0), 60, 580])
    func heartbeatNil(server: UInt16) throws {
        let limits = try Self.negotiate(server: (0, 0, server), heartbeat: nil).get()
        #expect(limits.heartbeat == server)
    }

    @Test("heartbeat 0 turns heartbeats off whatever the broker says", arguments: [UInt16(0), 60])
    func heartbeatZero(server: UInt16) throws {
        let limits = try Self.negotiate(server: (0, 0, server), heartbeat: 0).get()
        #expect(limits.heartbeat == 0)
    }

    @Test("a heartbeat value: the lower non-zero wins", arguments: [
        (UInt16(60), UInt16(10), UInt16(10)),
        (10, 60, 10),
        (0, 30, 30),
        (30, 30, 30),
    ])
    func heartbeatValue(server: UInt16, client: UInt16, expected: UInt16) throws {
        let limits = try Self.negotiate(server: (0, 0, server), heartbeat: client).get()
        #expect(limits.heartbeat == expected)
    }

    @Test("the heartbeat callback is asked with the broker's value and its answer is the client value")
    func heartbeatCallback() throws {
        // The answer depends on the value asked, so it shows which value the callback got; the
        // plain heartbeat value (45) is ignored when a callback is given.
        let limits = try Self.negotiate(server: (0, 0, 60), heartbeat: 45, callback: { broker in broker / 3 }).get()
        #expect(limits.heartbeat == 20)
        let higher = try Self.negotiate(server: (0, 0, 30), callback: { broker in broker * 2 }).get()
        #expect(higher.heartbeat == 30)
    }

    @Test("a heartbeat callback answering 0 turns heartbeats off")
    func heartbeatCallbackZero() throws {
        let limits = try Self.negotiate(server: (0, 0, 60), callback: { _ in 0 }).get()
        #expect(limits.heartbeat == 0)
    }

    @Test("lowerNonZero")
    func lowerNonZero() {
        #expect(TuneNegotiation.lowerNonZero(UInt16(0), UInt16(0)) == 0)
        #expect(TuneNegotiation.lowerNonZero(UInt16(0), UInt16(7)) == 7)
        #expect(TuneNegotiation.lowerNonZero(UInt32(9), UInt32(0)) == 9)
        #expect(TuneNegotiation.lowerNonZero(UInt32(9), UInt32(8)) == 8)
    }
}
