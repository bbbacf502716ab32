#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// This process's CPU time and peak memory, from getrusage.
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
}
