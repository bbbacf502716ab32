/// Publisher-confirm bookkeeping: hands out publish sequence numbers (the delivery tags the
/// broker acks) and tracks which are still unconfirmed, so an ack or nack with `multiple`
/// resolves exactly the tags it covers.
struct ConfirmTracker {
    /// The sequence number of the next publish (the first is 1, or one past a recovered
    /// channel's last).
    private(set) var nextSequenceNumber: UInt64
    /// Unconfirmed tags in ascending order; `head` skips the confirmed prefix.
    private var outstanding: [UInt64] = []
    private var head = 0

    /// A tracker whose first publish is `last + 1`.
    init(after last: UInt64 = 0) {
        nextSequenceNumber = last + 1
    }

    /// How many publishes wait for their confirm.
    var unconfirmedCount: Int { outstanding.count - head }

    /// The unconfirmed tags, in order.
    var unconfirmed: ArraySlice<UInt64> { outstanding[head...] }

    /// Numbers one publish and remembers it as unconfirmed.
    mutating func publish() -> UInt64 {
        let tag = nextSequenceNumber
        nextSequenceNumber += 1
        outstanding.append(tag)
        return tag
    }

    /// Resolves the tags an ack or nack covers and returns them (empty when the broker named a tag
    /// that is not outstanding).
    mutating func confirm(deliveryTag: UInt64, multiple: Bool) -> [UInt64] {
        var resolved: [UInt64] = []
        if multiple {
            // Tag 0 with multiple means "everything so far". One array of the covered tags,
            // copied in one go (appending them one by one grew it several times per ack).
            let end = deliveryTag == 0 || deliveryTag == .max
                ? outstanding.count
                : Self.firstIndex(in: outstanding, from: head, notBelow: deliveryTag + 1)
            resolved = Array(outstanding[head..<end])
            head = end
        } else if head < outstanding.count, outstanding[head] == deliveryTag {
            resolved.append(deliveryTag)
            head += 1
        } else if let index = Self.search(outstanding, from: head, for: deliveryTag) {
            resolved.append(deliveryTag)
            outstanding.remove(at: index)
        }
        compact()
        return resolved
    }

    /// Forgets every outstanding tag and returns them (the channel closed).
    mutating func drain() -> [UInt64] {
        let rest = Array(outstanding[head...])
        outstanding.removeAll()
        head = 0
        return rest
    }

    private mutating func compact() {
        if head == outstanding.count {
            outstanding.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024, head * 2 > outstanding.count {
            outstanding.removeFirst(head)
            head = 0
        }
    }

    /// The index of the first of the ascending `tags` (from `start`) not below `tag`, or their end.
    private static func firstIndex(in tags: [UInt64], from start: Int, notBelow tag: UInt64) -> Int {
        var low = start
        var high = tags.count
        while low < high {
            let middle = low + (high - low) / 2
            if tags[middle] < tag { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private static func search(_ tags: [UInt64], from start: Int, for tag: UInt64) -> Int? {
        let index = firstIndex(in: tags, from: start, notBelow: tag)
        return index < tags.count && tags[index] == tag ? index : nil
    }
}
