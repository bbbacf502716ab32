// swift-tools-version: 6.1
import PackageDescription

// The consume read path in one process, without a socket or a broker: deliveries fed to the
// connection handler as reads, as NIO hands them over, through frame parsing, routing, the
// channel machine and content assembly to the channel's delegate. It reaches internal API
// (`@testable import Hare`), so it is its own package and builds with `-enable-testing`:
//
//     ../profile-consume                # instructions per delivery (callgrind) and the hottest functions
//     swift build -c release -Xswiftc -enable-testing && .build/release/consume-path 2000
let package = Package(
    name: "ConsumePath",
    dependencies: [
        .package(name: "Hare", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "consume-path",
            dependencies: [
                .product(name: "Hare", package: "Hare"),
                .product(name: "AMQPProtocol", package: "Hare"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/ConsumePath"
        ),
    ],
    swiftLanguageModes: [.v6]
)
