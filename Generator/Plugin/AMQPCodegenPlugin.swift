import PackagePlugin

/// Runs `amqp-codegen` on `Spec/amqp0-9-1.xml` for the target that uses the plugin, declaring the
/// spec as the input and every generated file as an output, so that editing the spec and running
/// `swift build` regenerates the code.
@main
struct AMQPCodegenPlugin: BuildToolPlugin {
    /// Must match `CodeGenerator.fileNames` in the generator.
    static let outputFiles = ["AMQP.swift", "AMQPMethods.swift", "AMQPMethod.swift", "AMQPProperties.swift"]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let spec = context.package.directoryURL.appending(components: "Spec", "amqp0-9-1.xml")
        let output = context.pluginWorkDirectoryURL.appending(component: "GeneratedSources")
        return [
            .buildCommand(
                displayName: "Generating AMQP code from Spec/amqp0-9-1.xml",
                executable: try context.tool(named: "amqp-codegen").url,
                arguments: [spec.path(percentEncoded: false), "--output", output.path(percentEncoded: false), "--spec-name", "Spec/amqp0-9-1.xml"],
                inputFiles: [spec],
                outputFiles: Self.outputFiles.map { output.appending(component: $0) }
            ),
        ]
    }
}
