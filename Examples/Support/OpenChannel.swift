// The channel every tutorial program works on.

import Hare

/// Ends the program when the broker closes the channel (a failed declaration, say): prints why
/// and closes the connection. A channel the client closes is left alone.
public func endOnBrokerClose(_ channel: SelectChannel, _ reason: any Error) {
    guard reason is ChannelClosedByBroker else { return }
    say("channel closed: \(reason)")
    channel.connection.close()
}

/// Connects (see `connect(onOpen:)`) and opens a channel that ends the program when the broker
/// closes it (see `endOnBrokerClose`).
///
/// - Parameter onOpen: called on the loop's thread with the open channel.
/// - Returns: the connection, to run with `runUntilClosed`.
public func openChannel(_ onOpen: @escaping (SelectChannel) -> Void) -> SelectConnection {
    connect { connection in
        connection.channel { channel in
            channel.addOnCloseCallback(endOnBrokerClose)
            onOpen(channel)
        }
    }
}
