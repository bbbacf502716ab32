import PackagePlugin

/// Runs `amqp-codegen` on `Spec/amqp0-9-1.xml` for the target that uses the plugin, declaring the
/// spec as the input and every generated file as an output, so that editing the spec and running
/// `swift build` regenerates the code. On a test target it writes the test-support file
/// (random instances of every method) instead of the protocol code.
@main
struct AMQPCodegenPlugin: BuildToolPlugin {
    /// Must match `CodeGenerator.fileNames` in the generator.
    static let outputFiles = ["AMQP.swift", "AMQPMethods.swift", "AMQPMethod.swift", "AMQPProperties.swift"]
    /// Must match `CodeGenerator.testSupportFileName`.
    static let testSupportFiles = ["AMQPArbitrary.swift"]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let spec = context.package.directoryURL.appending(components: "Spec", "amqp0-9-1.xml")
        let output = context.pluginWorkDirectoryURL.appending(component: "GeneratedSources")
        let isTest = (target as? SwiftSourceModuleTarget)?.kind == .test
        var arguments = [spec.path(percentEncoded: false), "--output", output.path(percentEncoded: false), "--spec-name", "Spec/amqp0-9-1.xml"]
        if isTest { arguments.append("--test-support") }
        return [
            .buildCommand(
                displayName: "Generating AMQP \(isTest ? "test support" : "code") from Spec/amqp0-9-1.xml",
                executable: try context.tool(named: "amqp-codegen").url,
                arguments: arguments,
                inputFiles: [spec],
                outputFiles: (isTest ? Self.testSupportFiles : Self.outputFiles).map { output.appending(component: $0) }
            ),
        ]
    }
}
