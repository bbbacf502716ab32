/// Where a channel's numbering starts. A channel reopened by recovery continues its
/// predecessor's delivery tags and publish sequence numbers, so the application never sees one
/// twice: the broker numbers the new channel from 1 and the machine adds these offsets on the
/// way in (and takes them off an ack on the way out).
struct TagOffsets: Sendable, Hashable {
    /// The last delivery tag of the channel this one replaces.
    var delivery: UInt64 = 0
    /// The last publish sequence number of the channel this one replaces.
    var publish: UInt64 = 0
}
