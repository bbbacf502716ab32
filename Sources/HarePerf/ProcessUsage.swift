#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// This process's CPU time and peak memory, from getrusage, and its thread count.
public struct ProcessUsage: Sendable, Equatable {
    /// User plus system CPU seconds so far.
    public var cpuSeconds: Double
    /// Peak resident set size in bytes.
    public var peakResidentBytes: Int

    /// The usage now.
    public static func now() -> ProcessUsage {
        var usage = rusage()
        #if canImport(Darwin)
        let who = RUSAGE_SELF
        #else
        let who = RUSAGE_SELF.rawValue
        #endif
        guard getrusage(who, &usage) == 0 else { return ProcessUsage(cpuSeconds: 0, peakResidentBytes: 0) }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        #if canImport(Darwin)
        let peak = Int(usage.ru_maxrss)  // bytes on Darwin
        #else
        let peak = Int(usage.ru_maxrss) * 1024  // KiB on Linux
        #endif
        return ProcessUsage(cpuSeconds: seconds(usage.ru_utime) + seconds(usage.ru_stime), peakResidentBytes: peak)
    }

    /// The process's threads now, from `Threads:` in /proc/self/status; nil where there is none
    /// (not Linux) or it cannot be read.
    public static func threadCount() -> Int? {
        #if os(Linux)
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        return threadCount(status: String(decoding: bytes, as: UTF8.self))
        #else
        return nil
        #endif
    }

    /// The `Threads:` count of a /proc/<pid>/status text; nil when it has none.
    public static func threadCount(status: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix("Threads:") {
            return Int(String(line.dropFirst("Threads:".count).filter { !$0.isWhitespace }))
        }
        return nil
    }
}
