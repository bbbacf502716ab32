import Testing

@testable import Hare

@Suite("Confirm tracker")
struct ConfirmTrackerTests {
    static func tracker(published count: Int) -> ConfirmTracker {
        var tracker = ConfirmTracker()
        for _ in 0..<count { _ = tracker.publish() }
        return tracker
    }

    @Test("sequence numbers start at 1 and count up")
    func numbering() {
        var tracker = ConfirmTracker()
        #expect(tracker.nextSequenceNumber == 1)
        #expect(tracker.publish() == 1)
        #expect(tracker.publish() == 2)
        #expect(tracker.nextSequenceNumber == 3)
        #expect(tracker.unconfirmedCount == 2)
        #expect(Array(tracker.unconfirmed) == [1, 2])
    }

    @Test("single confirms in order")
    func singleInOrder() {
        var tracker = Self.tracker(published: 3)
        #expect(tracker.confirm(deliveryTag: 1, multiple: false) == [1])
        #expect(tracker.confirm(deliveryTag: 2, multiple: false) == [2])
        #expect(tracker.confirm(deliveryTag: 3, multiple: false) == [3])
        #expect(tracker.unconfirmedCount == 0)
        #expect(tracker.publish() == 4, "numbering goes on after everything is confirmed")
    }

    @Test("multiple confirms everything up to the tag")
    func multiple() {
        var tracker = Self.tracker(published: 6)
        #expect(tracker.confirm(deliveryTag: 4, multiple: true) == [1, 2, 3, 4])
        #expect(Array(tracker.unconfirmed) == [5, 6])
        #expect(tracker.confirm(deliveryTag: 4, multiple: true) == [], "nothing left up to 4")
    }

    @Test("multiple with tag 0 confirms everything so far")
    func multipleZero() {
        var tracker = Self.tracker(published: 3)
        #expect(tracker.confirm(deliveryTag: 0, multiple: true) == [1, 2, 3])
        #expect(tracker.unconfirmedCount == 0)
    }

    @Test("out-of-order single confirms, then multiple skips those already confirmed")
    func outOfOrder() {
        var tracker = Self.tracker(published: 6)
        #expect(tracker.confirm(deliveryTag: 5, multiple: false) == [5])
        #expect(tracker.confirm(deliveryTag: 2, multiple: false) == [2])
        #expect(Array(tracker.unconfirmed) == [1, 3, 4, 6])
        #expect(tracker.confirm(deliveryTag: 5, multiple: true) == [1, 3, 4])
        #expect(Array(tracker.unconfirmed) == [6])
    }

    @Test("unknown and repeated tags resolve nothing")
    func unknown() {
        var tracker = Self.tracker(published: 2)
        #expect(tracker.confirm(deliveryTag: 7, multiple: false) == [])
        #expect(tracker.confirm(deliveryTag: 0, multiple: false) == [])
        #expect(tracker.confirm(deliveryTag: 1, multiple: false) == [1])
        #expect(tracker.confirm(deliveryTag: 1, multiple: false) == [])
        #expect(Array(tracker.unconfirmed) == [2])
    }

    @Test("drain hands back and forgets every unconfirmed tag")
    func drain() {
        var tracker = Self.tracker(published: 4)
        _ = tracker.confirm(deliveryTag: 1, multiple: false)
        _ = tracker.confirm(deliveryTag: 3, multiple: false)
        #expect(tracker.drain() == [2, 4])
        #expect(tracker.unconfirmedCount == 0)
        #expect(tracker.drain() == [])
        #expect(tracker.publish() == 5)
    }

    @Test("many publishes confirmed in batches keep exact bookkeeping across compaction")
    func manyWithCompaction() {
        var tracker = ConfirmTracker()
        var expectedNext: UInt64 = 1
        var confirmed: [UInt64] = []
        for _ in 0..<10 {
            for _ in 0..<500 { _ = tracker.publish() }
            // Confirm every other one singly, then the rest with multiple.
            let first = expectedNext
            let last = expectedNext + 499
            for tag in stride(from: first + 1, through: last, by: 2) {
                confirmed += tracker.confirm(deliveryTag: tag, multiple: false)
            }
            confirmed += tracker.confirm(deliveryTag: last - 100, multiple: true)
            expectedNext = last + 1
        }
        // Each multiple also sweeps the previous batch's leftovers, so only the last batch's
        // odd tags above 4900 stay unconfirmed.
        #expect(Set(confirmed).count == confirmed.count, "no tag is confirmed twice")
        let rest = tracker.drain()
        #expect(rest == Array(stride(from: UInt64(4901), through: 4999, by: 2)))
        #expect(confirmed.count + rest.count == 5000)
    }

    @Test("confirms agree with a plain set of unconfirmed tags, in runs without gaps and with them")
    func agreesWithModel() {
        var tracker = ConfirmTracker(after: 41)
        var model: [UInt64] = []  // the unconfirmed tags, ascending
        var published: UInt64 = 41
        // A fixed, varied schedule (no randomness: a failure repeats): publishes in bursts,
        // multiple confirms below, inside and past the unconfirmed range, single confirms at the
        // head, in the middle (which leave gaps) and of unknown tags.
        for step in 0..<4000 {
            let choice = (step &* 7919) % 11
            if choice < 4 {
                for _ in 0..<(1 + (step % 37)) {
                    published += 1
                    #expect(tracker.publish() == published)
                    model.append(published)
                }
                continue
            }
            let low = model.first ?? published
            let span = UInt64(model.count + 3)
            let tag = low &- 2 &+ UInt64(step * 31) % span
            let multiple = choice < 8
            let expected = multiple ? model.filter { $0 <= tag } : model.filter { $0 == tag }
            model.removeAll { expected.contains($0) }
            let resolved = tracker.confirm(deliveryTag: tag, multiple: multiple)
            #expect(resolved == expected, "step \(step): \(multiple ? "multiple" : "single") \(tag)")
            #expect(Array(tracker.unconfirmed) == model, "step \(step)")
            if resolved != expected { return }
        }
        #expect(tracker.drain() == model)
    }
}
