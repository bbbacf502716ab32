#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a fuzzer's seed corpus on request, so that `Fuzz/run` needs no separate seed-writer
/// build: each fuzzer calls `writeIfRequested` from `LLVMFuzzerInitialize`.
public enum SeedExport {
    /// The environment variable naming the directory to write the seeds into.
    public static let environmentVariable = "HARE_FUZZ_WRITE_SEEDS"

    /// When `HARE_FUZZ_WRITE_SEEDS` names a directory, writes `seeds` there as `seed-NNNN` files
    /// and exits; otherwise returns.
    public static func writeIfRequested(_ seeds: @autoclosure () -> [[UInt8]]) {
        guard let directory = getenv(environmentVariable).map({ String(cString: $0) }), !directory.isEmpty else { return }
        let seeds = seeds()
        for (index, seed) in seeds.enumerated() {
            let digits = String(index)
            let path = directory + "/seed-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
            guard let file = fopen(path, "wb") else {
                print("cannot write \(path)")
                exit(2)
            }
            let written = seed.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
            guard written == seed.count else {
                print("cannot write \(path)")
                exit(2)
            }
        }
        print("wrote \(seeds.count) seeds to \(directory)")
        exit(0)
    }
}
