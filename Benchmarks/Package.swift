// swift-tools-version: 6.1
import PackageDescription

// The codec benchmark (issue 2, section 7). A separate package so that the root package
// does not carry benchmark code; it depends on the root by path.
//
//     swift run -c release codec-benchmark            # everything
//     swift run -c release faces-benchmark            # each face's publish and consume, against a broker
//     ./run                                            # + rabbitmq-c, as a table
let package = Package(
    name: "HareBenchmarks",
    dependencies: [
        .package(name: "Hare", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // Counts calls to malloc & co. by defining them in the executable (ELF symbol
        // interposition) and forwarding to glibc's __libc_* entry points. No LD_PRELOAD.
        .target(name: "MallocCounter"),
        .executableTarget(
            name: "codec-benchmark",
            dependencies: [
                "MallocCounter",
                .product(name: "AMQPProtocol", package: "Hare"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/CodecBenchmark"
        ),
        .executableTarget(
            name: "faces-benchmark",
            dependencies: [
                .product(name: "Hare", package: "Hare"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/FacesBenchmark"
        ),
    ],
    swiftLanguageModes: [.v6]
)
