import AMQPCodegenCore
import Testing

/// What the renderers emit for small specs: bit packing, reserved fields, naming and headers.
@Suite("Generated code")
struct GeneratedCodeTests {
    /// A class `demo` (index 200) holding the given methods.
    func generate(methods: String, specName: String = "demo.xml") throws -> [GeneratedFile] {
        let spec = try TestSupport.parse(TestSupport.snippet("""
              <domain name="flag" type="bit"/>
              <domain name="consumer-tag" type="shortstr"/>
              <class name="demo" index="200">
            \(methods)
              </class>
            """))
        return TestSupport.generateAll(spec, specName: specName)
    }

    /// The trimmed body lines of `function` inside the struct `typeName` of AMQPMethods.swift.
    func body(of function: String, in typeName: String, _ files: [GeneratedFile], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        try #require(
            TestSupport.block(startingWith: function, after: "public struct \(typeName): AMQPMethodProtocol", in: TestSupport.file("AMQPMethods.swift", in: files)),
            "no \(function) in \(typeName)",
            sourceLocation: sourceLocation
        )
    }

    @Test("consecutive bits share one octet, flushed after 8 bits and before a non-bit field")
    func bitPacking() throws {
        let bits = (1...9).map { "      <field name=\"b\($0)\" domain=\"flag\"/>" }.joined(separator: "\n")
        let files = try generate(methods: """
                <method name="pack" index="10">
            \(bits)
                  <field name="tag" domain="consumer-tag"/>
                  <field name="c1" type="bit"/>
                  <field name="c2" domain="flag"/>
                </method>
            """)

        let encode = try body(of: "public func encode(to writer: inout AMQPWriter)", in: "Pack", files)
        let firstOctet = ["var bits0: UInt8 = 0"]
            + ["0x01", "0x02", "0x04", "0x08", "0x10", "0x20", "0x40", "0x80"].enumerated().map { "if self.b\($0.offset + 1) { bits0 |= \($0.element) }" }
            + ["writer.writeOctet(bits0)"]
        let expectedEncode = firstOctet + [
            "var bits1: UInt8 = 0",
            "if self.b9 { bits1 |= 0x01 }",
            "writer.writeOctet(bits1)",
            "writer.writeShortString(self.tag)",
            "var bits2: UInt8 = 0",
            "if self.c1 { bits2 |= 0x01 }",
            "if self.c2 { bits2 |= 0x02 }",
            "writer.writeOctet(bits2)",
        ]
        #expect(encode == expectedEncode)
        #expect(encode.filter { $0.hasPrefix("writer.writeOctet(") }.count == 3, "11 bits around one field take three octets")

        let decode = try body(of: "public init(from reader: inout AMQPReader)", in: "Pack", files)
        let expectedDecode = ["let bits0 = try reader.readOctet()"]
            + ["0x01", "0x02", "0x04", "0x08", "0x10", "0x20", "0x40", "0x80"].enumerated().map { "let b\($0.offset + 1) = bits0 & \($0.element) != 0" }
            + [
                "let bits1 = try reader.readOctet()",
                "let b9 = bits1 & 0x01 != 0",
                "let tag = try reader.readShortString()",
                "let bits2 = try reader.readOctet()",
                "let c1 = bits2 & 0x01 != 0",
                "let c2 = bits2 & 0x02 != 0",
                "self.init(b1: b1, b2: b2, b3: b3, b4: b4, b5: b5, b6: b6, b7: b7, b8: b8, b9: b9, tag: tag, c1: c1, c2: c2)",
            ]
        #expect(decode == expectedDecode)
    }

    @Test("exactly eight bits take one octet and start no second one")
    func eightBits() throws {
        let bits = (1...8).map { "      <field name=\"b\($0)\" domain=\"flag\"/>" }.joined(separator: "\n")
        let files = try generate(methods: """
                <method name="eight" index="10">
            \(bits)
                </method>
            """)
        let encode = try body(of: "public func encode(to writer: inout AMQPWriter)", in: "Eight", files)
        #expect(encode.filter { $0.hasPrefix("writer.writeOctet(") } == ["writer.writeOctet(bits0)"])
        #expect(encode.last == "writer.writeOctet(bits0)")
    }

    @Test("reserved fields are hidden from the API and written with their defaults")
    func reservedFields() throws {
        let files = try generate(methods: """
                <method name="declare" index="10">
                  <field name="reserved-1" type="short" reserved="1"/>
                  <field name="queue" domain="consumer-tag"/>
                  <field name="reserved-2" type="shortstr" reserved="1"/>
                  <field name="reserved-3" type="long" reserved="1"/>
                  <field name="reserved-4" type="longlong" reserved="1"/>
                  <field name="reserved-5" type="bit" reserved="1"/>
                  <field name="passive" domain="flag"/>
                  <field name="reserved-6" type="table" reserved="1"/>
                </method>
            """)
        let methods = TestSupport.file("AMQPMethods.swift", in: files)
        #expect(!methods.contains("reserved1") && !methods.contains("reserved2") && !methods.contains("reserved6"), "reserved fields must not be properties")
        #expect(methods.contains("public var queue: String"))
        #expect(methods.contains("public var passive: Bool"))
        let initializer = try #require(TestSupport.block(startingWith: "public init(", after: "public struct Declare:", in: methods))
        #expect(initializer.contains("queue: String = \"\","))
        #expect(initializer.contains("passive: Bool = false"))
        #expect(!initializer.contains { $0.contains("reserved") })

        let encode = try body(of: "public func encode(to writer: inout AMQPWriter)", in: "Declare", files)
        #expect(encode == [
            "writer.writeShort(0)  // reserved-1 (reserved)",
            "writer.writeShortString(self.queue)",
            "writer.writeOctet(0)  // reserved-2 (reserved)",
            "writer.writeLong(0)  // reserved-3 (reserved)",
            "writer.writeLongLong(0)  // reserved-4 (reserved)",
            "var bits0: UInt8 = 0",
            "if self.passive { bits0 |= 0x02 }",
            "writer.writeOctet(bits0)",
            "writer.writeLong(0)  // reserved-6 (reserved)",
        ])
        let decode = try body(of: "public init(from reader: inout AMQPReader)", in: "Declare", files)
        #expect(decode == [
            "try reader.skip(2)  // reserved-1 (reserved)",
            "let queue = try reader.readShortString()",
            "try reader.skipShortString()  // reserved-2 (reserved)",
            "try reader.skip(4)  // reserved-3 (reserved)",
            "try reader.skip(8)  // reserved-4 (reserved)",
            "let bits0 = try reader.readOctet()",
            "let passive = bits0 & 0x02 != 0",
            "try reader.skipLongString()  // reserved-6 (reserved)",
            "self.init(queue: queue, passive: passive)",
        ])
        // The test-support file builds the method without its reserved fields.
        let arbitrary = TestSupport.file("AMQPArbitrary.swift", in: files)
        #expect(!arbitrary.contains("reserved1"))
    }

    @Test("a method with only reserved bits writes a zero octet")
    func onlyReservedBits() throws {
        let files = try generate(methods: """
                <method name="quiet" index="10">
                  <field name="reserved-1" type="bit" reserved="1"/>
                  <field name="reserved-2" type="bit" reserved="1"/>
                </method>
            """)
        let encode = try body(of: "public func encode(to writer: inout AMQPWriter)", in: "Quiet", files)
        #expect(encode == ["writer.writeOctet(0)  // reserved bits"])
        let methods = TestSupport.file("AMQPMethods.swift", in: files)
        let quiet = try #require(TestSupport.block(startingWith: "public struct Quiet: AMQPMethodProtocol", in: methods))
        #expect(quiet.contains("public init() {}"))
    }

    @Test("spec names become lowerCamel / UpperCamel Swift names")
    func naming() {
        #expect(SwiftNaming.lowerCamel("consumer-tag") == "consumerTag")
        #expect(SwiftNaming.lowerCamel("no-local") == "noLocal")
        #expect(SwiftNaming.lowerCamel("no local") == "noLocal", "0-8 separates words with spaces")
        #expect(SwiftNaming.lowerCamel("reply-code") == "replyCode")
        #expect(SwiftNaming.lowerCamel("x-match") == "xMatch")
        #expect(SwiftNaming.lowerCamel("internal") == "`internal`")
        #expect(SwiftNaming.lowerCamel("return") == "`return`")
        #expect(SwiftNaming.lowerCamel("type") == "type")
        #expect(SwiftNaming.rawLowerCamel("internal") == "internal")
        #expect(SwiftNaming.upperCamel("declare-ok") == "DeclareOk")
        #expect(SwiftNaming.upperCamel("update-secret-ok") == "UpdateSecretOk")
        #expect(SwiftNaming.upperCamel("return") == "Return")
        #expect(SwiftNaming.upperCamel("type") != "Type", "a struct called Type would clash with Swift's")
    }

    @Test("keyword field names are escaped where Swift needs it")
    func keywordFields() throws {
        let files = try generate(methods: """
                <method name="return" index="50">
                  <field name="internal" domain="flag"/>
                  <field name="return" domain="consumer-tag"/>
                  <field name="consumer-tag" domain="consumer-tag"/>
                </method>
            """)
        let methods = TestSupport.file("AMQPMethods.swift", in: files)
        #expect(methods.contains("public struct Return: AMQPMethodProtocol"))
        #expect(methods.contains("public var `internal`: Bool"))
        #expect(methods.contains("public var `return`: String"))
        #expect(methods.contains("public var consumerTag: String"))
        let initializer = try #require(TestSupport.block(startingWith: "public init(", after: "public struct Return:", in: methods))
        #expect(initializer.contains("`internal`: Bool = false,"))
        #expect(initializer.contains("self.internal = `internal`"))
        #expect(initializer.contains("self.return = `return`"))
        let encode = try body(of: "public func encode(to writer: inout AMQPWriter)", in: "Return", files)
        #expect(encode.contains("if self.internal { bits0 |= 0x01 }"))
        #expect(encode.contains("writer.writeShortString(self.return)"))
        #expect(encode.contains("writer.writeShortString(self.consumerTag)"))
        let decode = try body(of: "public init(from reader: inout AMQPReader)", in: "Return", files)
        #expect(decode.contains("let `internal` = bits0 & 0x01 != 0"))
        #expect(decode.contains("let `return` = try reader.readShortString()"))
        #expect(decode.last == "self.init(internal: `internal`, return: `return`, consumerTag: consumerTag)")
        let dispatch = TestSupport.file("AMQPMethod.swift", in: files)
        #expect(dispatch.contains("case demoReturn(AMQP.Demo.Return)"))
    }

    @Test("every file starts with the DO NOT EDIT header naming the spec")
    func header() throws {
        let files = try generate(methods: "    <method name=\"ping\" index=\"10\"/>", specName: "Spec/demo.xml")
        #expect(files.map(\.name) == CodeGenerator.fileNames + [CodeGenerator.testSupportFileName])
        for file in files {
            #expect(file.contents.hasPrefix("// DO NOT EDIT. Generated by AMQPCodegen from Spec/demo.xml\n"), "\(file.name) header: \(file.contents.prefix(80))")
        }
        let real = try SpecParser(fileName: TestSupport.specName).parse(bytes: TestSupport.specBytes())
        for file in TestSupport.generateAll(real) {
            #expect(file.contents.hasPrefix("// DO NOT EDIT. Generated by AMQPCodegen from Spec/amqp0-9-1.xml\n"))
        }
    }

    @Test("methods with a field table are boxed (indirect) in AMQP.Method; the others are inline")
    func tableMethodsAreBoxed() throws {
        let files = try generate(methods: """
                <method name="declare" index="10">
                  <field name="name" domain="shortstr"/>
                  <field name="arguments" domain="table"/>
                </method>
                <method name="poke" index="20">
                  <field name="name" domain="shortstr"/>
                  <field name="now" domain="flag"/>
                </method>
            """)
        let dispatch = TestSupport.file("AMQPMethod.swift", in: files)
        #expect(dispatch.contains("indirect case demoDeclare(AMQP.Demo.Declare)"))
        #expect(dispatch.contains("case demoPoke(AMQP.Demo.Poke)"))
        #expect(!dispatch.contains("indirect case demoPoke("))
    }

    @Test(
        "a content class reads one flag word per fifteen properties, masked to those it has",
        arguments: [(1, 1, "0x1"), (15, 1, "0x7FFF"), (16, 2, "0xFFFF"), (30, 2, "0x3FFFFFFF"),
                    (31, 3, "0x7FFFFFFF"), (64, 5, "0xFFFFFFFFFFFFFFFF")]
    )
    func flagWordsPerPropertyCount(count: Int, words: Int, mask: String) throws {
        let fields = (0..<count).map { "<field name=\"p\($0)\" domain=\"shortstr\"/>" }.joined(separator: "\n")
        let spec = try TestSupport.parse(TestSupport.snippet("""
              <domain name="shortstr" type="shortstr"/>
              <class name="demo" index="200">
            \(fields)
              </class>
            """))
        let properties = TestSupport.file("AMQPProperties.swift", in: TestSupport.generateAll(spec))
        let readFlags = try #require(TestSupport.block(startingWith: "private static func readFlags(", in: properties))
        #expect(readFlags == ["try reader.readPropertyFlags(maxWords: \(words)) & \(mask)"])
    }
}
