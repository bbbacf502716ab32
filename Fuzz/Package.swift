// swift-tools-version: 6.1
// The libFuzzer targets over the AMQP codecs. A package of its own (so the root package's
// `swift build` never sees it), built and run by `Fuzz/run`.
//
// It does not depend on the root package: with `-sanitize=fuzzer` on the whole build, SwiftPM
// would also link the code generator the build plugin runs against libFuzzer (two `main`s).
// Instead `Fuzz/run` generates the code with `amqp-codegen` (a normal build of the root
// package) and links the handwritten sources of Sources/AMQPProtocol plus the generated files
// into Sources/AMQPProtocolFuzzable/Generated/ (git-ignored), compiled here as the module
// `AMQPProtocolFuzzable`. Only our modules are instrumented; NIO is built as usual.
// Likewise the URL parser: `Fuzz/run` links the NIO-free files of Sources/Hare/Parameters (and
// Sources/Hare/Errors/AMQPError.swift) into Sources/HareParametersFuzzable/Generated/ (git-ignored),
// compiled as `HareParametersFuzzable` with `import AMQPProtocol` aliased to `AMQPProtocolFuzzable`.
import PackageDescription

/// Coverage instrumentation for libFuzzer plus AddressSanitizer.
let instrumented: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]

let fuzzers = [
    "FuzzFrameParser",
    "FuzzMethod",
    "FuzzProperties",
    "FuzzFieldTable",
    "FuzzRoundTrip",
    "FuzzURL",
]

let package = Package(
    name: "HareFuzz",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .target(
            name: "AMQPProtocolFuzzable",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: instrumented
        ),
        // Declares libFuzzer's LLVMFuzzerRunDriver for FuzzDriver.
        .target(name: "CLibFuzzer"),
        .target(
            name: "HareParametersFuzzable",
            dependencies: ["AMQPProtocolFuzzable"],
            swiftSettings: instrumented + [.unsafeFlags(["-module-alias", "AMQPProtocol=AMQPProtocolFuzzable"])]
        ),
        .target(
            name: "FuzzSupport",
            dependencies: ["AMQPProtocolFuzzable", "CLibFuzzer", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: instrumented
        ),
    ] + fuzzers.map { name in
        .executableTarget(
            name: name,
            dependencies: ["FuzzSupport", "AMQPProtocolFuzzable", .product(name: "NIOCore", package: "swift-nio")]
                + (name == "FuzzURL" ? ["HareParametersFuzzable"] : []),
            // main.swift runs libFuzzer's driver (FuzzDriver); -sanitize=fuzzer links libFuzzer
            // and the ASan runtime. SwiftPM makes the target's entry point `main` (--defsym), so
            // libFuzzer's own main is never called.
            swiftSettings: instrumented,
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]
        )
    },
    swiftLanguageModes: [.v6]
)
