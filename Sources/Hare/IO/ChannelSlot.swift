/// One open (or opening, or closing) channel of a connection: its machine and its face.
final class ChannelSlot {
    var machine: ChannelStateMachine<RPCCompletion>
    weak var delegate: (any ChannelDelegate)?

    init(number: UInt16, delegate: any ChannelDelegate) {
        machine = ChannelStateMachine(channelNumber: number)
        self.delegate = delegate
    }
}
