// What the tutorial programs write: lines on standard output, and the complaint they exit with.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints a line and flushes standard output, so a pipe sees the line at once.
public func say(_ line: String) {
    print(line)
    fflush(nil)
}

/// Writes `message` as a line to standard error and exits with status 1.
public func complain(_ message: String) -> Never {
    var line = message + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(1)
}
