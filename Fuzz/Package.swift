// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "HareFuzz",
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(name: "FuzzMethod", dependencies: [
            .product(name: "AMQPProtocol", package: "main"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
