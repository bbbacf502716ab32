// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Hare",
    products: [
        .library(name: "AMQPProtocol", targets: ["AMQPProtocol"]),
        .executable(name: "amqp-codegen", targets: ["amqp-codegen"]),
        .plugin(name: "AMQPCodegenPlugin", targets: ["AMQPCodegenPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // MARK: Generator (Spec/*.xml -> Swift)
        .systemLibrary(
            name: "CLibXML2",
            path: "Generator/CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        .target(
            name: "AMQPCodegenCore",
            dependencies: ["CLibXML2"],
            path: "Generator/AMQPCodegenCore"
        ),
        .executableTarget(
            name: "amqp-codegen",
            dependencies: ["AMQPCodegenCore"],
            path: "Generator/AMQPCodegen"
        ),
        .plugin(
            name: "AMQPCodegenPlugin",
            capability: .buildTool(),
            dependencies: [.target(name: "amqp-codegen")],
            path: "Generator/Plugin"
        ),

        // MARK: The wire
        .target(
            name: "AMQPProtocol",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            plugins: ["AMQPCodegenPlugin"]
        ),

        // MARK: Examples
        .executableTarget(
            name: "protocol-roundtrip",
            dependencies: [
                "AMQPProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Examples/ProtocolRoundTrip"
        ),

        // MARK: Tests
        .testTarget(
            name: "AMQPCodegenTests",
            dependencies: ["AMQPCodegenCore"],
            exclude: ["Reference"]
        ),
        .testTarget(
            name: "AMQPProtocolTests",
            dependencies: [
                "AMQPProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            plugins: ["AMQPCodegenPlugin"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
