import HareTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP listener on 127.0.0.1 that never accepts and never speaks. With `fillBacklog`, its
/// accept queue is filled first, so further connects hang in the SYN stage (what a black-holed
/// broker looks like); otherwise connects complete and then hear nothing.
final class SilentListener {
    let port: Int
    private let descriptor: Int32
    private var fillers: [Int32] = []

    init(fillBacklog: Bool) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketFailure(step: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, fillBacklog ? 0 : 16) == 0 else {
            close(fd)
            throw SocketFailure(step: "bind/listen")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        if fillBacklog {
            // A backlog of 0 holds one or two finished handshakes; a few more are refused or hang.
            for _ in 0..<3 {
                let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                _ = fcntl(filler, F_SETFL, fcntl(filler, F_GETFL) | O_NONBLOCK)
                var target = address
                _ = withUnsafePointer(to: &target) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                fillers.append(filler)
            }
            usleep(200_000)
        }
    }

    deinit {
        for filler in fillers { close(filler) }
        close(descriptor)
    }
}

struct SocketFailure: Error {
    var step: String
}
