import AMQPCodegenCore
import Foundation
import Testing

/// Paths and helpers shared by the generator's tests.
enum TestSupport {
    /// The package root, found from this file's own path (`<root>/Tests/AMQPCodegenTests/TestSupport.swift`).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The name the build plugin passes as `--spec-name`, so that headers match the real build.
    static let specName = "Spec/amqp0-9-1.xml"

    /// `<root>/Spec/amqp0-9-1.xml`.
    static var specURL: URL { packageRoot.appendingPathComponent(specName) }

    /// `<root>/Tests/AMQPCodegenTests/Reference`.
    static var referenceDirectory: URL {
        packageRoot.appendingPathComponent("Tests/AMQPCodegenTests/Reference")
    }

    /// Where Debian's `amqp-specs` package installs the official specs.
    static let debianSpecsDirectory = "/usr/share/amqp/specs"

    /// The Debian spec that Spec/amqp0-9-1.xml starts from.
    static let debianRabbitSpec = debianSpecsDirectory + "/0-9-1-rabbit/amqp0-9-1.stripped.extended.xml"

    /// The bytes of a file, or a recorded issue and nil.
    static func bytes(atPath path: String, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else {
            Issue.record("cannot read \(path)", sourceLocation: sourceLocation)
            return nil
        }
        return [UInt8](data)
    }

    /// The repository's spec, read from disk.
    static func specBytes() throws -> [UInt8] {
        try #require(bytes(atPath: specURL.path))
    }

    /// Parses `xml` (given as text) with `SpecParser`, naming it `fileName` in errors.
    static func parse(_ xml: String, fileName: String = "snippet.xml") throws(SpecError) -> Spec {
        try SpecParser(fileName: fileName).parse(bytes: Array(xml.utf8))
    }

    /// Runs the whole generator (protocol files and test-support file) on `spec`.
    static func generateAll(_ spec: Spec, specName: String = TestSupport.specName) -> [GeneratedFile] {
        let generator = CodeGenerator(spec: spec, specName: specName)
        return generator.generate() + generator.generateTestSupport()
    }

    /// The contents of the generated file `name` (recording an issue when it is missing).
    static func file(_ name: String, in files: [GeneratedFile], sourceLocation: SourceLocation = #_sourceLocation) -> String {
        guard let file = files.first(where: { $0.name == name }) else {
            Issue.record("the generator did not produce \(name); it produced \(files.map(\.name))", sourceLocation: sourceLocation)
            return ""
        }
        return file.contents
    }

    /// A minimal well-formed spec around `body` (constants, domains and classes), in the 0-9-1 layout.
    static func snippet(_ body: String) -> String {
        """
        <?xml version="1.0"?>
        <amqp major="0" minor="9" revision="1" port="5672">
        \(body)
        </amqp>
        """
    }

    /// The lines of `text` with leading and trailing whitespace removed, blank lines dropped.
    static func trimmedLines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0).trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// The lines of the block that starts with the first line containing `opening` (after the
    /// first line containing `anchor`, if given) and ends at its matching closing brace (brace
    /// depth counted per line), excluding both, trimmed. Lines between `opening` and its `{`
    /// (a multi-line parameter list) are included.
    static func block(startingWith opening: String, after anchor: String? = nil, in text: String) -> [String]? {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)[...]
        if let anchor {
            guard let index = lines.firstIndex(where: { $0.contains(anchor) }) else { return nil }
            lines = lines[index...]
        }
        guard let start = lines.firstIndex(where: { $0.contains(opening) }) else { return nil }
        var depth = 0
        var opened = false
        var body: [String] = []
        for index in start..<lines.endIndex {
            let line = lines[index]
            for character in line {
                if character == "{" {
                    depth += 1
                    opened = true
                } else if character == "}" {
                    depth -= 1
                }
            }
            if index == start { continue }
            if opened && depth <= 0 { return body }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty { body.append(trimmed) }
        }
        return nil
    }

    /// Where two texts first differ, as a 1-based line number and both lines (nil past the end).
    static func firstDifference(_ actual: String, _ expected: String) -> (line: Int, actual: String?, expected: String?)? {
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for index in 0..<max(actualLines.count, expectedLines.count) {
            let a = index < actualLines.count ? actualLines[index] : nil
            let e = index < expectedLines.count ? expectedLines[index] : nil
            if a != e { return (index + 1, a, e) }
        }
        return nil
    }
}
