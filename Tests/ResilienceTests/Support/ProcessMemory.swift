import Foundation

/// The memory of this test process, from /proc/self/status.
enum ProcessMemory {
    /// The resident set size now, in bytes (nil where /proc is not readable).
    static func residentBytes() -> Int? {
        field("VmRSS")
    }

    /// The peak resident set size so far, in bytes.
    static func peakResidentBytes() -> Int? {
        field("VmHWM")
    }

    private static func field(_ name: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            let kilobytes = line.dropFirst(name.count + 1).split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) }
            return kilobytes.map { $0 * 1024 }
        }
        return nil
    }
}
