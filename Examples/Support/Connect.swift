// Where the tutorial programs connect to.

import Hare

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opens a connection to HARE_TEST_URL when it is set, else with the default parameters
/// (Pika's: localhost:5672, guest/guest). A connection that cannot be opened is reported.
///
/// - Parameter onOpen: called on the loop's thread once the connection is open.
public func connect(onOpen: @escaping (SelectConnection) -> Void) -> SelectConnection {
    var parameters = [any ConnectionParametersConvertible]()
    if let url = getenv("HARE_TEST_URL").map({ String(cString: $0) }) {
        do { parameters = [try URLParameters(url)] } catch { complain("bad HARE_TEST_URL: \(error)") }
    } else {
        parameters = [ConnectionParameters()]
    }
    return SelectConnection(parameters: parameters, onOpen: onOpen, onOpenError: { _, error in
        say("cannot connect: \(error)")
    })
}
