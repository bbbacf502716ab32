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
            let end = deliveryTag == 0 || deliveryTag == .max ? outstanding.count : firstIndex(notBelow: deliveryTag + 1)
            resolved = Array(outstanding[head..<end])
            head = end
        } else if head < outstanding.count, outstanding[head] == deliveryTag {
            resolved.append(deliveryTag)
            head += 1
        } else if case let index = firstIndex(notBelow: deliveryTag), index < outstanding.count, outstanding[index] == deliveryTag {
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

    /// The index of the first unconfirmed tag not below `tag`, or `outstanding.count`. Tags are
    /// handed out one after another, so the unconfirmed ones are usually consecutive numbers and
    /// the index is arithmetic; a tag confirmed alone out of order leaves a gap, and then it is
    /// a binary search. (The search, with a cache miss at every step while the socket's writes
    /// had the cache, was the most expensive function of a confirm.)
    private func firstIndex(notBelow tag: UInt64) -> Int {
        let count = outstanding.count
        guard head < count else { return count }
        let first = outstanding[head]
        if tag <= first { return head }
        let last = outstanding[count - 1]
        if tag > last { return count }
        if last - first == UInt64(count - 1 - head) { return head + Int(tag - first) }
        var low = head
        var high = count
        while low < high {
            let middle = low + (high - low) / 2
            if outstanding[middle] < tag { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
