import AMQPCodegenCore
import Foundation
import Testing

/// A malformed spec gives a `SpecError` naming the file, the line, the element and the bad value;
/// elements the generator has no use for are skipped.
@Suite("Malformed specs")
struct MalformedSpecTests {
    /// Parses `xml` as `bad.xml` and checks the error it must raise.
    func expectError(
        _ xml: String,
        line: Int,
        element: String,
        mentions fragments: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            let spec = try SpecParser(fileName: "bad.xml").parse(bytes: Array(xml.utf8))
            Issue.record("expected a SpecError, parsed \(spec.classes.count) classes", sourceLocation: sourceLocation)
        } catch {
            #expect(error.file == "bad.xml", sourceLocation: sourceLocation)
            #expect(error.line == line, "wrong line in \(error)", sourceLocation: sourceLocation)
            #expect(error.element == element, "wrong element in \(error)", sourceLocation: sourceLocation)
            for fragment in fragments {
                #expect(error.message.contains(fragment), "message does not mention \(fragment): \(error)", sourceLocation: sourceLocation)
            }
            #expect(error.description.hasPrefix("bad.xml:\(line): error: \(element): "), sourceLocation: sourceLocation)
        }
    }

    @Test func unknownDomain() {
        expectError("""
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1">
              <domain name="queue-name" type="shortstr"/>
              <class name="queue" index="50">
                <method name="declare" index="10">
                  <field name="queue" domain="queue-nmae"/>
                </method>
              </class>
            </amqp>
            """, line: 6, element: "field \"queue\" of method \"queue.declare\"", mentions: ["unknown domain", "\"queue-nmae\""])
    }

    @Test func domainOfUnknownType() {
        expectError("""
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1">
              <domain name="queue-name" type="shortstr"/>
              <domain name="consumer-tag" type="strng"/>
            </amqp>
            """, line: 4, element: "domain \"consumer-tag\"", mentions: ["\"strng\""])
    }

    @Test func methodWithoutIndex() {
        expectError("""
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1">
              <class name="queue" index="50">
                <method name="declare-ok" index="11"/>
                <method name="declare" synchronous="1">
                  <field name="queue" type="shortstr"/>
                </method>
              </class>
            </amqp>
            """, line: 5, element: "method \"queue.declare\"", mentions: ["missing attribute \"index\""])
    }

    @Test func fieldWithoutDomainOrType() {
        expectError("""
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1">
              <class name="queue" index="50">
                <method name="declare" index="10">
                  <field name="queue" type="shortstr"/>
                  <field name="passive"/>
                </method>
              </class>
            </amqp>
            """, line: 6, element: "field \"passive\" of method \"queue.declare\"", mentions: ["missing attribute", "\"domain\"", "\"type\""])
    }

    @Test func fieldWithoutName() {
        expectError("""
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1">
              <class name="queue" index="50">
                <method name="declare" index="10">
                  <field domain="shortstr"/>
                </method>
              </class>
            </amqp>
            """, line: 5, element: "<field> of method \"queue.declare\"", mentions: ["missing attribute \"name\""])
    }

    @Test func duplicateMethodIndex() {
        expectError("""
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1">
              <class name="queue" index="50">
                <method name="declare" index="10"/>
                <method name="bind" index="20"/>
                <method name="declare-ok" index="10"/>
              </class>
            </amqp>
            """, line: 6, element: "method \"queue.declare-ok\"", mentions: ["duplicate method index 10", "\"queue.declare\""])
    }

    @Test func duplicateClassIndex() {
        expectError("""
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1">
              <class name="queue" index="50">
                <method name="declare" index="10"/>
              </class>
              <class name="basic" index="50">
                <method name="qos" index="10"/>
              </class>
            </amqp>
            """, line: 6, element: "class \"basic\"", mentions: ["duplicate class index 50", "\"queue\""])
    }

    @Test func badIntegers() {
        expectError("""
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1">
              <class name="queue" index="50">
                <method name="declare" index="1O"/>
              </class>
            </amqp>
            """, line: 4, element: "method \"queue.declare\"", mentions: ["\"index\"", "\"1O\""])
        expectError("""
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1">
              <constant name="frame-method" value="1"/>
              <constant name="frame-end" value="0xZZ"/>
            </amqp>
            """, line: 4, element: "constant \"frame-end\"", mentions: ["\"value\"", "\"0xZZ\""])
        expectError("""
            <?xml version="1.0"?>
            <amqp major="0" minor="nine" revision="1">
            </amqp>
            """, line: 2, element: "<amqp>", mentions: ["\"minor\"", "\"nine\""])
        expectError("""
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1">
              <class name="queue" index="70000">
              </class>
            </amqp>
            """, line: 3, element: "class \"queue\"", mentions: ["\"70000\""])
    }

    @Test func badFlag() {
        expectError("""
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1">
              <class name="queue" index="50">
                <method name="declare" index="10" synchronous="yes"/>
              </class>
            </amqp>
            """, line: 4, element: "method \"queue.declare\"", mentions: ["\"synchronous\"", "\"yes\""])
    }

    @Test func responseToUnknownMethod() {
        expectError("""
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1">
              <class name="queue" index="50">
                <method name="declare" index="10" synchronous="1">
                  <response name="declare-okk"/>
                </method>
                <method name="declare-ok" index="11"/>
              </class>
            </amqp>
            """, line: 4, element: "method \"queue.declare\"", mentions: ["\"declare-okk\""])
    }

    @Test func notWellFormedXML() {
        expectError("""
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1">
              <class name="queue" index="50">
                <method name="declare" index="10"/>
              </clas>
            </amqp>
            """, line: 5, element: "document", mentions: ["not well-formed XML"])
        expectError("""
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1">
              <class name="queue" index=50>
              </class>
            </amqp>
            """, line: 3, element: "document", mentions: ["not well-formed XML"])
    }

    @Test func wrongRoot() {
        expectError("""
            <?xml version="1.0"?>
            <spec major="0" minor="9">
              <class name="queue" index="50"/>
            </spec>
            """, line: 2, element: "<spec>", mentions: ["<amqp>", "<spec>"])
    }

    @Test("doc, rule, chassis, assert, see and unknown elements are skipped")
    func unknownElementsAreSkipped() throws {
        // The same spec twice, the second with extra elements on the same lines, so the two
        // models (which record line numbers) must be equal.
        let plain = """
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1" port="5672">
              <constant name="frame-end" value="206"/>
              <domain name="queue-name" type="shortstr"></domain>
              <class name="queue" index="50">
                <method name="declare" index="10" synchronous="1">
                  <response name="declare-ok"/>
                  <field name="queue" domain="queue-name"></field>
                  <field name="passive" type="bit"/>
                </method>
                <method name="declare-ok" index="11" synchronous="1"></method>
                <field name="content-type" domain="shortstr"/>
              </class>
            </amqp>
            """
        let decorated = """
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1" port="5672"><doc>The protocol.</doc><foo bar="1"><method name="x"/></foo>
              <constant name="frame-end" value="206"><doc>ends frames</doc></constant><see name="frame-end"/>
              <domain name="queue-name" type="shortstr"><assert check="length" value="127"/><assert check="regexp" value="^[a-z]*$"/></domain>
              <class name="queue" index="50"><chassis name="server" implement="MUST"/><doc type="grammar">queue = C:DECLARE S:DECLARE-OK</doc>
                <method name="declare" index="10" synchronous="1"><chassis name="server" implement="MUST"/><rule name="default-binding"><doc>...</doc></rule>
                  <response name="declare-ok"/><foo/>
                  <field name="queue" domain="queue-name"><rule name="x"><see name="y"/></rule><assert check="notnull"/></field>
                  <field name="passive" type="bit"/><see name="declare-ok"/>
                </method>
                <method name="declare-ok" index="11" synchronous="1"><doc>answer</doc></method>
                <field name="content-type" domain="shortstr"><doc>MIME type</doc></field><foo><field name="not-a-property" type="bit"/></foo>
              </class><foo/>
            </amqp>
            """
        let expected = try TestSupport.parse(plain)
        let actual = try TestSupport.parse(decorated)
        #expect(actual == expected)
        let queue = try #require(actual.specClass(named: "queue"))
        #expect(queue.methods.map(\.name) == ["declare", "declare-ok"])
        #expect(queue.methods[0].fields.map(\.name) == ["queue", "passive"])
        #expect(queue.methods[0].responses == ["declare-ok"])
        #expect(queue.properties.map(\.name) == ["content-type"])
        #expect(actual.constants.map(\.name) == ["frame-end"])
        #expect(actual.domains.map(\.name) == ["queue-name"])
    }
}

/// The `amqp-codegen` executable itself: a bad spec ends it with a non-zero status and a
/// `file:line: error:` message; a good spec writes the same files as the library.
@Suite("amqp-codegen executable")
struct CodegenExecutableTests {
    /// The built `amqp-codegen`, found next to the running test binary (SwiftPM puts test
    /// bundles and executables in the same build directory).
    static let executable: URL? = {
        var directories: [URL] = []
        if let selfPath = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: selfPath).deletingLastPathComponent())
        }
        if let main = Bundle.main.executableURL {
            directories.append(main.deletingLastPathComponent())
        }
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            directories.append(bundle.bundleURL.deletingLastPathComponent())
        }
        if let argument = CommandLine.arguments.first, argument.contains("/") {
            directories.append(URL(fileURLWithPath: argument).deletingLastPathComponent())
        }
        // A bundle (macOS) sits in the build directory; its executable is a few levels deeper.
        var candidates: [URL] = []
        for directory in directories {
            var current = directory
            for _ in 0..<4 {
                candidates.append(current.appendingPathComponent("amqp-codegen"))
                current = current.deletingLastPathComponent()
            }
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// Runs the executable with `arguments`; returns the exit status and standard error.
    func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        guard let executable = Self.executable else {
            throw CodegenNotFound()
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let errorPipe = Pipe()
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = errorPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    struct CodegenNotFound: Error {}

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("amqp-codegen-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("a malformed spec exits non-zero with file:line: error:", .enabled(if: executable != nil, "amqp-codegen not found next to the test binary"))
    func malformedSpecFails() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let specPath = directory.appendingPathComponent("broken.xml").path
        let xml = """
            <?xml version="1.0"?>
            <amqp major="0" minor="9" revision="1">
              <class name="queue" index="50">
                <method name="declare" index="10">
                  <field name="queue" domain="no-such-domain"/>
                </method>
              </class>
            </amqp>
            """
        #expect(FileManager.default.createFile(atPath: specPath, contents: Data(xml.utf8)))
        let output = directory.appendingPathComponent("out").path
        let result = try run([specPath, "--output", output])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(specPath):5: error: field \"queue\" of method \"queue.declare\": unknown domain \"no-such-domain\""), "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output + "/AMQPMethods.swift"), "nothing is written for a bad spec")

        let notXML = directory.appendingPathComponent("garbage.xml").path
        #expect(FileManager.default.createFile(atPath: notXML, contents: Data("<amqp major=\"0\"\n<<<".utf8)))
        let garbage = try run([notXML, "--output", output])
        #expect(garbage.status != 0)
        #expect(garbage.stderr.contains("\(notXML):"), "stderr: \(garbage.stderr)")
        #expect(garbage.stderr.contains(": error: document: not well-formed XML"), "stderr: \(garbage.stderr)")
    }

    @Test("the executable writes what the library generates", .enabled(if: executable != nil, "amqp-codegen not found next to the test binary"))
    func goodSpecWritesFiles() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try run([TestSupport.specURL.path, "--output", directory.path, "--spec-name", TestSupport.specName])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let spec = try SpecParser(fileName: TestSupport.specName).parse(bytes: TestSupport.specBytes())
        for file in CodeGenerator(spec: spec, specName: TestSupport.specName).generate() {
            let written = FileManager.default.contents(atPath: directory.appendingPathComponent(file.name).path)
            #expect(written == Data(file.contents.utf8), "\(file.name) written by amqp-codegen differs from CodeGenerator's")
        }
    }
}
