import AMQPCodegenCore
import Testing

/// Editing the spec changes the generated code: a new method gets its struct, its `AMQP.Method`
/// case and its decode case; a new field shows up in its struct and codec.
/// (scripts/check-regeneration proves the same through a real `swift build`.)
@Suite("Spec changes")
struct SpecChangeTests {
    /// The real spec with `queue.frobnicate` (99) added and a `priority-hint` octet appended to `queue.purge`.
    func changedSpec() throws -> String {
        var xml = String(decoding: try TestSupport.specBytes(), as: UTF8.self)
        let queueStart = try #require(xml.range(of: "<class name=\"queue\""))
        let queueEnd = try #require(xml.range(of: "</class>", range: queueStart.upperBound..<xml.endIndex))
        xml.insert(contentsOf: """
                <method name="frobnicate" synchronous="1" index="99">
                  <field name="widget-count" domain="long"/>
                  <field name="be-gentle" domain="bit"/>
                </method>

            """, at: queueEnd.lowerBound)

        let purge = try #require(xml.range(of: "<method name=\"purge\" synchronous=\"1\" index=\"30\">"))
        let purgeEnd = try #require(xml.range(of: "</method>", range: purge.upperBound..<xml.endIndex))
        xml.insert(contentsOf: "  <field name=\"priority-hint\" domain=\"octet\"/>\n    ", at: purgeEnd.lowerBound)
        return xml
    }

    @Test("a new method and a new field appear in the model and in every generated file")
    func addedMethodAndField() throws {
        let original = try SpecParser(fileName: TestSupport.specName).parse(bytes: TestSupport.specBytes())
        let spec = try TestSupport.parse(changedSpec(), fileName: TestSupport.specName)

        let queue = try #require(spec.specClass(named: "queue"))
        let frobnicate = try #require(queue.methods.last)
        #expect(frobnicate.name == "frobnicate" && frobnicate.index == 99 && frobnicate.isSynchronous)
        #expect(frobnicate.fields.map(\.name) == ["widget-count", "be-gentle"])
        #expect(frobnicate.fields.map(\.type) == [.long, .bit])
        let purge = try #require(queue.methods.first { $0.name == "purge" })
        #expect(purge.fields.map(\.name) == ["reserved-1", "queue", "no-wait", "priority-hint"])
        let methodCount: Int = spec.classes.reduce(0) { $0 + $1.methods.count }
        let originalMethodCount: Int = original.classes.reduce(0) { $0 + $1.methods.count }
        #expect(methodCount == originalMethodCount + 1)

        let files = TestSupport.generateAll(spec)
        let methods = TestSupport.file("AMQPMethods.swift", in: files)
        #expect(methods.contains("public struct Frobnicate: AMQPMethodProtocol"))
        #expect(methods.contains("public static let name = \"queue.frobnicate\""))
        #expect(methods.contains("public var widgetCount: UInt32"))
        #expect(methods.contains("public var beGentle: Bool"))
        let frobnicateType = try #require(TestSupport.block(startingWith: "public struct Frobnicate: AMQPMethodProtocol", in: methods))
        #expect(frobnicateType.contains("public static let classID: UInt16 = 50"))
        #expect(frobnicateType.contains("public static let methodID: UInt16 = 99"))
        #expect(frobnicateType.contains("public static let isSynchronous = true"))
        #expect(frobnicateType.contains("widgetCount: UInt32 = 0,"))
        #expect(frobnicateType.contains("let widgetCount = try reader.readLong()"))
        #expect(frobnicateType.contains("self.init(widgetCount: widgetCount, beGentle: beGentle)"))
        #expect(frobnicateType.contains("writer.writeLong(self.widgetCount)"))
        #expect(frobnicateType.contains("public var asMethod: AMQP.Method { .queueFrobnicate(self) }"))

        let purgeType = try #require(TestSupport.block(startingWith: "public struct Purge: AMQPMethodProtocol", in: methods))
        #expect(purgeType.contains("public var priorityHint: UInt8"))
        #expect(purgeType.contains("let priorityHint = try reader.readOctet()"))
        #expect(purgeType.contains("self.init(queue: queue, noWait: noWait, priorityHint: priorityHint)"))
        #expect(purgeType.contains("writer.writeOctet(self.priorityHint)"))
        let purgeEncode = try #require(TestSupport.block(startingWith: "public func encode(to writer: inout AMQPWriter)", after: "public struct Purge: AMQPMethodProtocol", in: methods))
        #expect(purgeEncode.last == "writer.writeOctet(self.priorityHint)", "the new field is written last")

        let dispatch = TestSupport.file("AMQPMethod.swift", in: files)
        #expect(dispatch.contains("case queueFrobnicate(AMQP.Queue.Frobnicate)"))
        #expect(dispatch.contains("case 99: self = .queueFrobnicate(try AMQP.Queue.Frobnicate(from: &reader))"))
        #expect(dispatch.contains("case .queueFrobnicate(let method): return 4 + method.encodedSize()"))
        #expect(dispatch.contains("case .queueFrobnicate(let method):\n" + String(repeating: " ", count: 20) + "writer.writeShort(50)\n" + String(repeating: " ", count: 20) + "writer.writeShort(99)"))
        #expect(dispatch.contains("case .queueFrobnicate: return \"queue.frobnicate\""))

        let arbitrary = TestSupport.file("AMQPArbitrary.swift", in: files)
        #expect(arbitrary.contains("methods.append(.queueFrobnicate(AMQP.Queue.Frobnicate("))
        #expect(arbitrary.contains("widgetCount: ArbitraryValue.long(using: &generator)"))

        // Nothing else changes: the other files are identical, and AMQP.swift too.
        let before = TestSupport.generateAll(original)
        #expect(TestSupport.file("AMQP.swift", in: files) == TestSupport.file("AMQP.swift", in: before))
        #expect(TestSupport.file("AMQPProperties.swift", in: files) == TestSupport.file("AMQPProperties.swift", in: before))
    }

    /// Properties past the fifteenth need a second flag word; a peer that sets none of them sends
    /// one word, so the decoder follows continuation bits instead of reading a fixed number.
    @Test("a class with more than fifteen properties reads up to two flag words, as continuation bits say")
    func propertiesPastFifteen() throws {
        var xml = String(decoding: try TestSupport.specBytes(), as: UTF8.self)
        let reserved = try #require(xml.range(of: "<field name=\"reserved\" domain=\"shortstr\"/>"))
        xml.insert(contentsOf: """
            <field name="trace-id" domain="shortstr"/>
                <field name="hop-count" domain="octet"/>
                <field name="origin" domain="shortstr"/>

            """, at: reserved.upperBound)
        let spec = try TestSupport.parse(xml, fileName: TestSupport.specName)
        let basic = try #require(spec.specClass(named: "basic"))
        #expect(basic.properties.count == 17)

        let properties = TestSupport.file("AMQPProperties.swift", in: TestSupport.generateAll(spec))
        let readFlags = try #require(TestSupport.block(startingWith: "private static func readFlags(", in: properties))
        #expect(readFlags.contains("try reader.readPropertyFlags(maxWords: 2) & 0x1FFFF"))
        // The real spec's 14 properties fit in one word.
        let original = TestSupport.file("AMQPProperties.swift", in: TestSupport.generateAll(try TestSupport.parse(
            String(decoding: try TestSupport.specBytes(), as: UTF8.self), fileName: TestSupport.specName)))
        let originalFlags = try #require(TestSupport.block(startingWith: "private static func readFlags(", in: original))
        #expect(originalFlags.contains("try reader.readPropertyFlags(maxWords: 1) & 0x3FFF"))
    }
}
