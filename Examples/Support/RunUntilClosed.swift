// How the tutorial programs run and end: until the connection closes, or gracefully on Ctrl-C.

import Hare

/// Runs the connection's loop until the connection has closed. Ctrl-C closes it gracefully and
/// runs the loop until the close is done.
///
/// - Returns: whether Ctrl-C was what ended it.
public func runUntilClosed(_ connection: SelectConnection) -> Bool {
    do {
        try connection.ioloop.start()
        return false
    } catch {
        connection.close()
        try? connection.ioloop.start()
        return true
    }
}
