/// Renders `AMQPMethods.swift`: a namespace enum per class and a struct per method.
struct MethodsRenderer {
    var spec: Spec

    func render(into printer: inout CodePrinter) {
        printer.line("import NIOCore")
        if spec.classes.contains(where: { $0.methods.contains { $0.fields.contains { $0.type == .content } } || $0.properties.contains { $0.type == .content } }) {
            printer.line()
            printer.block("extension AMQPReader {") { p in
                p.line("/// AMQP 0-9 `content`: an octet (0 inline, 1 reference), then a long string.")
                p.block("fileprivate mutating func readContent() throws(AMQPProtocolError) -> ByteBuffer {") { p in
                    p.line("try skip(1)")
                    p.line("return try readLongString()")
                }
            }
            printer.line()
            printer.block("extension AMQPWriter {") { p in
                p.line("/// AMQP 0-9 `content`, written inline.")
                p.block("fileprivate mutating func writeContent(_ value: ByteBuffer) {") { p in
                    p.line("writeOctet(0)")
                    p.line("writeLongString(value)")
                }
            }
        }
        for specClass in spec.classes {
            printer.line()
            printer.block("extension AMQP {") { p in
                p.line("/// The `\(specClass.name)` class (\(specClass.index)).")
                p.block("public enum \(SwiftNaming.upperCamel(specClass.name)) {") { p in
                    p.line("/// The class id on the wire.")
                    p.line("public static let classID: UInt16 = \(specClass.index)")
                    p.line("/// The class name in the spec.")
                    p.line("public static let name = \"\(specClass.name)\"")
                    for method in specClass.methods {
                        p.line()
                        renderMethod(method, of: specClass, into: &p)
                    }
                }
            }
        }
    }

    private func renderMethod(_ method: SpecMethod, of specClass: SpecClass, into printer: inout CodePrinter) {
        let typeName = SwiftNaming.upperCamel(method.name)
        let visible = method.fields.filter { !$0.isReserved }
        let responses = method.responses.map { "AMQP.\(SwiftNaming.upperCamel(specClass.name)).\(SwiftNaming.upperCamel($0))" }
        var facts = [method.isSynchronous ? "synchronous" : "asynchronous"]
        if !method.responses.isEmpty { facts.append("answered by " + method.responses.map { "`\(specClass.name).\($0)`" }.joined(separator: " or ")) }
        if method.hasContent { facts.append("carries content") }
        if method.isDeprecated { facts.append("deprecated") }

        printer.line("/// `\(specClass.name).\(method.name)` (\(specClass.index), \(method.index)): \(facts.joined(separator: ", ")).")
        printer.block("public struct \(typeName): AMQPMethodProtocol {") { p in
            p.line("public static let classID: UInt16 = \(specClass.index)")
            p.line("public static let methodID: UInt16 = \(method.index)")
            p.line("public static let name = \"\(specClass.name).\(method.name)\"")
            p.line("public static let isSynchronous = \(method.isSynchronous)")
            p.line("public static let hasContent = \(method.hasContent)")
            p.line("public static var responseTypes: [any AMQPMethodProtocol.Type] { [\(responses.map { $0 + ".self" }.joined(separator: ", "))] }")
            for field in visible {
                p.line()
                p.line("/// `\(field.name)`: \(field.type.rawValue)\(field.domain.map { $0 == field.type.rawValue ? "" : " (domain `\($0)`)" } ?? "").")
                p.line("public var \(SwiftNaming.lowerCamel(field.name)): \(WireTypeCode.swiftType(field.type))")
            }
            p.line()
            p.line("/// Creates the method from its arguments; reserved fields take their defaults.")
            if visible.isEmpty {
                p.line("public init() {}")
            } else {
                p.line("public init(")
                for (offset, field) in visible.enumerated() {
                    let comma = offset == visible.count - 1 ? "" : ","
                    p.line("    \(SwiftNaming.lowerCamel(field.name)): \(WireTypeCode.swiftType(field.type)) = \(WireTypeCode.defaultValue(field.type))\(comma)")
                }
                p.block(") {") { p in
                    for field in visible {
                        let name = SwiftNaming.rawLowerCamel(field.name)
                        p.line("self.\(name) = \(SwiftNaming.lowerCamel(field.name))")
                    }
                }
            }
            p.line()
            p.line("/// Decodes the arguments (after the class and method ids).")
            if method.fields.isEmpty {
                p.line("public init(from reader: inout AMQPReader) throws(AMQPProtocolError) {}")
            } else {
                p.block("public init(from reader: inout AMQPReader) throws(AMQPProtocolError) {") { p in
                    ArgumentLayout.renderDecode(method.fields, into: &p)
                }
            }
            p.line()
            p.line("/// The size of the encoded arguments; checks what could make encoding fail.")
            let throwing = ArgumentLayout.sizeThrows(method.fields) ? " throws(AMQPProtocolError)" : ""
            p.block("public func encodedSize()\(throwing) -> Int {") { p in
                ArgumentLayout.renderSize(method.fields, into: &p)
            }
            p.line()
            p.line("/// Encodes the arguments (not the class and method ids) into memory `encodedSize()` reserved.")
            if method.fields.isEmpty {
                p.line("public func encode(to writer: inout AMQPWriter) {}")
            } else {
                p.block("public func encode(to writer: inout AMQPWriter) {") { p in
                    ArgumentLayout.renderEncode(method.fields, into: &p)
                }
            }
            p.line()
            p.line("/// This method wrapped in `AMQP.Method`.")
            p.line("public var asMethod: AMQP.Method { .\(MethodEnumRenderer.caseName(method, of: specClass))(self) }")
        }
    }
}
