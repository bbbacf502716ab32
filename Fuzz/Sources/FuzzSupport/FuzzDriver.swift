import CLibFuzzer

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The `main` of every fuzzer. SwiftPM makes an executable target's own entry point the
/// program's `main`, so libFuzzer's `main` never runs; each fuzzer's main.swift hands its test
/// function to libFuzzer's driver here instead.
public enum FuzzDriver {
    /// The fuzzed function: libFuzzer's input as a buffer.
    public typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    /// Writes the seeds when asked to (see `SeedExport`), else runs libFuzzer with the process's
    /// arguments; exits with libFuzzer's status.
    public static func main(seeds: @autoclosure () -> [[UInt8]], _ testOneInput: TestOneInput) -> Never {
        SeedExport.writeIfRequested(seeds())
        registeredTest = testOneInput
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
    }
}

/// The test `FuzzDriver.main` runs; set once before libFuzzer starts.
nonisolated(unsafe) private var registeredTest: FuzzDriver.TestOneInput?

/// libFuzzer's conventional entry point. The linker may still pull in libFuzzer's own `main`
/// (unused: the target's entry point wins), which refers to this symbol; it runs the same test.
@_cdecl("LLVMFuzzerTestOneInput")
public func llvmFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    registeredTest?(data, size) ?? 0
}
