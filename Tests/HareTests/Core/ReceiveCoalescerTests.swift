import Testing

@testable import Hare

@Suite("Receive coalescing: when the low watermark goes up and down")
struct ReceiveCoalescerTests {
    @Test("a read of an eighth of the limit or more engages it at half that read; smaller reads do not")
    func engagesOnLargeReads() {
        var coalescer = ReceiveCoalescer(bytes: 32768)
        #expect(coalescer.engagingRead == 4096)
        #expect(coalescer.read(4095, messages: 100) == .none)
        #expect(!coalescer.isEngaged)
        #expect(coalescer.read(6000, messages: 100) == .engage(lowWatermark: 3000))
        #expect(coalescer.isEngaged)
        #expect(coalescer.engagements == 1)
    }

    @Test("a read of fewer than 16 frames or deliveries (one large message, a round trip) neither engages nor raises it")
    func fewMessagesDoNotEngage() {
        var coalescer = ReceiveCoalescer(bytes: 32768)
        #expect(coalescer.read(30000, messages: 1) == .none)
        #expect(coalescer.read(30000, messages: 15) == .none)
        #expect(!coalescer.isEngaged)
        #expect(coalescer.read(6000, messages: 16) == .engage(lowWatermark: 3000))
        #expect(coalescer.read(30000, messages: 2) == .none)
        #expect(coalescer.lowWatermark == 3000)
    }

    @Test("larger reads raise the watermark, up to the limit; smaller ones leave it")
    func raisesWithReads() {
        var coalescer = ReceiveCoalescer(bytes: 32768)
        _ = coalescer.read(6000, messages: 100)
        #expect(coalescer.read(5000, messages: 100) == .none)
        #expect(coalescer.read(20000, messages: 100) == .engage(lowWatermark: 10000))
        #expect(coalescer.read(1 << 20, messages: 100) == .engage(lowWatermark: 32768))
        #expect(coalescer.read(1 << 20, messages: 100) == .none)
        #expect(coalescer.lowWatermark == 32768)
        #expect(coalescer.engagements == 1, "raising is not engaging again")
    }

    @Test("it stays engaged while every tick saw a read, and lets go at the first that saw none")
    func letsGoWhenReadsStop() {
        var coalescer = ReceiveCoalescer(bytes: 32768)
        _ = coalescer.read(8192, messages: 100)
        #expect(coalescer.tick() == .none, "the engaging read counts for the first tick")
        _ = coalescer.read(100, messages: 1)
        #expect(coalescer.tick() == .none)
        #expect(coalescer.tick() == .letGo)
        #expect(!coalescer.isEngaged)
        #expect(coalescer.lowWatermark == 1)
        #expect(coalescer.tick() == .none, "nothing to let go of")
        #expect(coalescer.read(100, messages: 100) == .none, "a small read does not engage it again")
        #expect(coalescer.read(5000, messages: 100) == .engage(lowWatermark: 2500))
        #expect(coalescer.engagements == 2)
    }

    @Test("0 bytes, or a socket without the option, keeps it off")
    func off() {
        var off = ReceiveCoalescer(bytes: 0)
        #expect(off.read(1 << 20, messages: 100) == .none)
        #expect(off.tick() == .none)
        var refused = ReceiveCoalescer(bytes: 1024)
        #expect(refused.read(1024, messages: 100) == .engage(lowWatermark: 512))
        refused.unsupported()
        #expect(!refused.isEngaged)
        #expect(refused.read(1 << 20, messages: 100) == .none)
        #expect(refused.tick() == .none)
    }
}
