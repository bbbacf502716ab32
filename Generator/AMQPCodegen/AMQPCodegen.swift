import AMQPCodegenCore
import Foundation

/// `amqp-codegen <spec.xml> --output <dir> [--spec-name <name>]`: reads an AMQP XML spec and
/// writes the generated Swift files into `<dir>`. Exits 1 with `file:line: error: ...` on a bad spec.
@main
struct AMQPCodegen {
    static func main() {
        do {
            let options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
            try run(options)
        } catch let error as SpecError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            exit(1)
        } catch let error as UsageError {
            FileHandle.standardError.write(Data("amqp-codegen: \(error.message)\n\(Options.usage)\n".utf8))
            exit(2)
        } catch {
            FileHandle.standardError.write(Data("amqp-codegen: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run(_ options: Options) throws {
        guard let data = FileManager.default.contents(atPath: options.specPath) else {
            throw UsageError(message: "cannot read \(options.specPath)")
        }
        let spec = try SpecParser(fileName: options.specPath).parse(bytes: [UInt8](data))
        let generator = CodeGenerator(spec: spec, specName: options.specName ?? options.specPath)
        let files = options.testSupport ? generator.generateTestSupport() : generator.generate()
        try FileManager.default.createDirectory(atPath: options.outputDirectory, withIntermediateDirectories: true)
        for file in files {
            let path = options.outputDirectory + "/" + file.name
            let bytes = Data(file.contents.utf8)
            // Leave unchanged files alone so that their timestamps do not trigger rebuilds.
            if FileManager.default.contents(atPath: path) == bytes { continue }
            try bytes.write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }
}

struct UsageError: Error {
    var message: String
}

struct Options {
    static let usage = """
        usage: amqp-codegen <spec.xml> --output <directory> [--spec-name <name shown in headers>] [--test-support]
          --test-support  write AMQPArbitrary.swift (random instances for tests) instead of the protocol code
        """

    var specPath: String
    var outputDirectory: String
    var specName: String?
    var testSupport = false

    init(arguments: [String]) throws {
        var specPath: String?
        var outputDirectory: String?
        var specName: String?
        var testSupport = false
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--output", "-o":
                guard let value = rest.popFirst() else { throw UsageError(message: "--output needs a directory") }
                outputDirectory = value
            case "--spec-name":
                guard let value = rest.popFirst() else { throw UsageError(message: "--spec-name needs a name") }
                specName = value
            case "--test-support":
                testSupport = true
            case "--help", "-h":
                print(Options.usage)
                exit(0)
            default:
                guard !argument.hasPrefix("-"), specPath == nil else { throw UsageError(message: "unexpected argument \(argument)") }
                specPath = argument
            }
        }
        guard let specPath else { throw UsageError(message: "missing the spec file") }
        guard let outputDirectory else { throw UsageError(message: "missing --output") }
        self.specPath = specPath
        self.outputDirectory = outputDirectory
        self.specName = specName
        self.testSupport = testSupport
    }
}
