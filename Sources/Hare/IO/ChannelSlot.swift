/// One open (or opening, or closing) channel of a connection: its machine and its face.
final class ChannelSlot {
    /// Loop only; changed by calls that finish before anything they return is acted on, so no
    /// two accesses overlap and the dynamic exclusivity check is off (it costs a thread-local
    /// lookup per frame).
    @exclusivity(unchecked) var machine: ChannelStateMachine<RPCCompletion>
    /// Held strongly, as Pika's connection holds its channels: the handler forgets the slot
    /// when the channel or the connection closes, which ends the cycle through the face. A
    /// weak reference cost a side-table load and a slow release on every delivery, confirm
    /// and return (about 130 instructions a delivery, by callgrind).
    let delegate: any ChannelDelegate

    /// Hands a delivery to the face. A method of the slot, not a call through `slot.delegate`
    /// at the call site: here the slot is `self`, alive for the whole call, so the face it
    /// holds is used as it is, where the caller retained and released it around the call.
    @inline(never)
    func deliver(_ message: borrowing ContentMessage, on number: UInt16) {
        delegate.channel(number, didDeliver: message)
    }

    init(number: UInt16, delegate: any ChannelDelegate, continuing offsets: TagOffsets = TagOffsets()) {
        machine = ChannelStateMachine(channelNumber: number, continuing: offsets)
        self.delegate = delegate
    }
}
