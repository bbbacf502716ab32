import AMQPCodegenCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Plain libc file access rather than Foundation: Foundation's ICU module and the one libxml2's
// headers include clash when both are visible in one module.

/// `amqp-codegen <spec.xml> --output <dir> [--spec-name <name>]`: reads an AMQP XML spec and
/// writes the generated Swift files into `<dir>`. Exits 1 with `file:line: error: ...` on a bad spec.
@main
struct AMQPCodegen {
    static func main() {
        do {
            let options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
            try run(options)
        } catch let error as SpecError {
            printError(error.description)
            exit(1)
        } catch let error as UsageError {
            printError("amqp-codegen: \(error.message)\n\(Options.usage)")
            exit(2)
        } catch {
            printError("amqp-codegen: \(error)")
            exit(1)
        }
    }

    static func run(_ options: Options) throws {
        guard let bytes = readFile(options.specPath) else {
            throw UsageError(message: "cannot read \(options.specPath)")
        }
        let spec = try SpecParser(fileName: options.specPath).parse(bytes: bytes)
        let generator = CodeGenerator(spec: spec, specName: options.specName ?? options.specPath)
        let files = options.testSupport ? generator.generateTestSupport() : generator.generate()
        try makeDirectories(options.outputDirectory)
        for file in files {
            let path = options.outputDirectory + "/" + file.name
            let contents = Array(file.contents.utf8)
            // Leave unchanged files alone so that their timestamps do not trigger rebuilds.
            if readFile(path) == contents { continue }
            try writeFileAtomically(path, contents)
        }
    }

    /// Writes a line to standard error (file descriptor 2: `stderr` is a C global).
    static func printError(_ message: String) {
        let line = Array((message + "\n").utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            bytes.append(contentsOf: chunk[0..<count])
            if count < chunk.count { break }
        }
        return ferror(file) == 0 ? bytes : nil
    }

    /// Writes to a temporary file beside `path`, then renames it over `path`.
    static func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws {
        let temporary = path + ".tmp-\(getpid())"
        guard let file = fopen(temporary, "wb") else { throw UsageError(message: "cannot write \(temporary)") }
        let written = fwrite(bytes, 1, bytes.count, file)
        let closed = fclose(file)
        guard written == bytes.count, closed == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw UsageError(message: "cannot write \(path)")
        }
    }

    /// `mkdir -p`.
    static func makeDirectories(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component + "/"
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw UsageError(message: "cannot create \(prefix)")
            }
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
