// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Hare",
    products: [
        .library(name: "Hare", targets: ["Hare"]),
        .library(name: "AMQPProtocol", targets: ["AMQPProtocol"]),
        .executable(name: "amqp-codegen", targets: ["amqp-codegen"]),
        .executable(name: "hare", targets: ["HareCLI"]),
        .plugin(name: "AMQPCodegenPlugin", targets: ["AMQPCodegenPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
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

        // MARK: The client
        .target(
            name: "Hare",
            dependencies: [
                "AMQPProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // An async call runs in its caller's isolation: from the main actor, or an actor on
            // the connection's loop, waiting for the broker costs no trip through the global
            // executor and back.
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),

        // MARK: Examples
        .target(
            name: "ExampleSupport",
            dependencies: ["Hare", "AMQPProtocol", .product(name: "NIOCore", package: "swift-nio")],
            path: "Examples/Support"
        ),
        // MARK: The hare command-line tool (hare perf)
        .target(
            name: "HarePerf",
            dependencies: [
                "Hare",
                "AMQPProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .executableTarget(
            name: "HareCLI",
            dependencies: [
                "HarePerf",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "hare-roundtrip",
            dependencies: ["Hare", "AMQPProtocol", .product(name: "NIOCore", package: "swift-nio")],
            path: "Examples/RoundTrip"
        ),
        .executableTarget(
            name: "blocking-example",
            dependencies: ["Hare", .product(name: "NIOCore", package: "swift-nio")],
            path: "Examples/BlockingScript"
        ),
        .executableTarget(
            name: "seed-ioloop",
            dependencies: ["Hare", "AMQPProtocol", .product(name: "NIOCore", package: "swift-nio")],
            path: "Examples/SeedIOLoop"
        ),
        .executableTarget(
            name: "seed-consumer",
            dependencies: ["Hare", "AMQPProtocol", .product(name: "NIOCore", package: "swift-nio")],
            path: "Examples/SeedConsumer"
        ),
        .executableTarget(
            name: "tutorial-hello-world",
            dependencies: ["ExampleSupport", "Hare", "AMQPProtocol", .product(name: "NIOCore", package: "swift-nio")],
            path: "Examples/Tutorials/HelloWorld"
        ),
        .executableTarget(
            name: "tutorial-work-queues",
            dependencies: ["ExampleSupport", "Hare", "AMQPProtocol", .product(name: "NIOCore", package: "swift-nio")],
            path: "Examples/Tutorials/WorkQueues"
        ),
        .executableTarget(
            name: "tutorial-publish-subscribe",
            dependencies: ["ExampleSupport", "Hare", "AMQPProtocol", .product(name: "NIOCore", package: "swift-nio")],
            path: "Examples/Tutorials/PublishSubscribe"
        ),
        .executableTarget(
            name: "tutorial-routing",
            dependencies: ["ExampleSupport", "Hare", "AMQPProtocol", .product(name: "NIOCore", package: "swift-nio")],
            path: "Examples/Tutorials/Routing"
        ),
        .executableTarget(
            name: "tutorial-topics",
            dependencies: ["ExampleSupport", "Hare", "AMQPProtocol", .product(name: "NIOCore", package: "swift-nio")],
            path: "Examples/Tutorials/Topics"
        ),
        .executableTarget(
            name: "tutorial-rpc",
            dependencies: ["ExampleSupport", "Hare", "AMQPProtocol", .product(name: "NIOCore", package: "swift-nio")],
            path: "Examples/Tutorials/RPC"
        ),
        .executableTarget(
            name: "async-tutorials",
            dependencies: ["ExampleSupport", "Hare", "AMQPProtocol", .product(name: "NIOCore", package: "swift-nio")],
            path: "Examples/AsyncTutorials"
        ),
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
        .testTarget(
            name: "HareTests",
            dependencies: [
                "Hare",
                "HarePerf",
                "AMQPProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "HareTestSupport",
            dependencies: [.product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            path: "Tests/HareTestSupport"
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Hare",
                "HareTestSupport",
                "HarePerf",
                "AMQPProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "ResilienceTests",
            dependencies: [
                "Hare",
                "HareTestSupport",
                "AMQPProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
