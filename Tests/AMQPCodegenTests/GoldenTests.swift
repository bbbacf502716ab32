import AMQPCodegenCore
import Foundation
import Testing

/// The generator's output for Spec/amqp0-9-1.xml must equal the committed reference copy in
/// Tests/AMQPCodegenTests/Reference (`<generated name>.golden`), so that every change to the
/// generated code shows up in review. `scripts/regenerate-reference` rewrites the reference.
@Suite("Golden output")
struct GoldenTests {
    static let hint = "If the change is intended, run scripts/regenerate-reference and review the diff."

    @Test("Spec/amqp0-9-1.xml generates exactly the reference files")
    func generatedFilesMatchReference() throws {
        let spec = try SpecParser(fileName: TestSupport.specName).parse(bytes: TestSupport.specBytes())
        let files = TestSupport.generateAll(spec)
        #expect(files.map(\.name) == CodeGenerator.fileNames + [CodeGenerator.testSupportFileName])

        for file in files {
            let path = TestSupport.referenceDirectory.appendingPathComponent(file.name + ".golden").path
            guard let data = FileManager.default.contents(atPath: path) else {
                Issue.record("missing reference Tests/AMQPCodegenTests/Reference/\(file.name).golden. \(Self.hint)")
                continue
            }
            let reference = String(decoding: data, as: UTF8.self)
            if let difference = TestSupport.firstDifference(file.contents, reference) {
                Issue.record("""
                    \(file.name) differs from Reference/\(file.name).golden at line \(difference.line):
                      generated: \(difference.actual.map { "\"\($0)\"" } ?? "<end of file>")
                      reference: \(difference.expected.map { "\"\($0)\"" } ?? "<end of file>")
                    \(Self.hint)
                    """)
            }
        }
    }

    @Test("the reference folder holds no stale files")
    func noStaleReferenceFiles() throws {
        let expected = Set((CodeGenerator.fileNames + [CodeGenerator.testSupportFileName]).map { $0 + ".golden" })
        let present = try FileManager.default.contentsOfDirectory(atPath: TestSupport.referenceDirectory.path)
            .filter { $0.hasSuffix(".golden") }
        let stale = Set(present).subtracting(expected)
        #expect(stale.isEmpty, "Reference/ holds files the generator no longer writes: \(stale.sorted()). \(Self.hint)")
    }
}
