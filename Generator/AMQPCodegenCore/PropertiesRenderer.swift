/// Renders `AMQPProperties.swift`: for each class with content properties (basic, and in older
/// specs file, stream and tunnel) a struct `AMQP.<Class>Properties` of optionals with its flag words.
///
/// Flag words are 16 bits: property `i` is bit `15 - (i % 15)` of word `i / 15`, and bit 0 says
/// that another flag word follows.
struct PropertiesRenderer {
    var spec: Spec

    static func typeName(_ specClass: SpecClass) -> String {
        SwiftNaming.upperCamel(specClass.name).replacingOccurrencesOfUnderscoreSuffix() + "Properties"
    }

    func render(into printer: inout CodePrinter) {
        printer.line("import NIOCore")
        for specClass in spec.classes where !specClass.properties.isEmpty {
            printer.line()
            printer.block("extension AMQP {") { p in
                renderStruct(specClass, into: &p)
            }
        }
    }

    private func renderStruct(_ specClass: SpecClass, into printer: inout CodePrinter) {
        let properties = specClass.properties
        let wordCount = (properties.count + 14) / 15
        printer.line("/// The content header properties of class `\(specClass.name)` (\(properties.count) properties, each optional).")
        printer.block("public struct \(Self.typeName(specClass)): AMQPContentProperties {") { p in
            p.line("/// The class id these properties belong to.")
            p.line("public static let classID: UInt16 = \(specClass.index)")
            for property in properties {
                p.line()
                p.line("/// `\(property.name)`: \(property.type.rawValue).")
                p.line("public var \(SwiftNaming.lowerCamel(property.name)): \(WireTypeCode.swiftType(property.type))?")
            }
            p.line()
            p.line("/// Creates properties; the ones left nil are not sent.")
            p.line("public init(")
            for (offset, property) in properties.enumerated() {
                let comma = offset == properties.count - 1 ? "" : ","
                p.line("    \(SwiftNaming.lowerCamel(property.name)): \(WireTypeCode.swiftType(property.type))? = nil\(comma)")
            }
            p.block(") {") { p in
                for property in properties {
                    p.line("self.\(SwiftNaming.rawLowerCamel(property.name)) = \(SwiftNaming.lowerCamel(property.name))")
                }
            }
            p.line()
            p.line("/// Decodes the property flag words and the properties they announce.")
            p.block("public init(from buffer: inout ByteBuffer) throws(AMQPProtocolError) {") { p in
                for word in 0..<wordCount {
                    p.line("let flags\(word) = try buffer.readAMQPShort()")
                }
                p.block("if flags\(wordCount - 1) & 0x0001 != 0 {") { p in
                    p.line("throw AMQPProtocolError(.propertyFlagsContinuation)")
                }
                for (offset, property) in properties.enumerated() {
                    let flag = "flags\(offset / 15) & \(mask(offset)) != 0"
                    let name = SwiftNaming.rawLowerCamel(property.name)
                    if property.type == .bit {
                        p.line("if \(flag) { self.\(name) = true }")
                    } else {
                        p.line("if \(flag) { self.\(name) = \(WireTypeCode.readExpression(property.type)) }")
                    }
                }
            }
            p.line()
            p.line("/// Encodes the property flag words and every property that is set.")
            p.block("public func encode(into buffer: inout ByteBuffer) throws(AMQPProtocolError) {") { p in
                for word in 0..<wordCount {
                    p.line("var flags\(word): UInt16 = \(word < wordCount - 1 ? "0x0001" : "0")")
                }
                for (offset, property) in properties.enumerated() {
                    p.line("if self.\(SwiftNaming.rawLowerCamel(property.name)) != nil { flags\(offset / 15) |= \(mask(offset)) }")
                }
                let writeAll = { (p: inout CodePrinter) in
                    for word in 0..<wordCount {
                        p.line("buffer.writeAMQPShort(flags\(word))")
                    }
                    for property in properties where property.type != .bit {
                        let name = SwiftNaming.rawLowerCamel(property.name)
                        p.line("if let value = self.\(name) { \(WireTypeCode.writeStatement(property.type, "value")) }")
                    }
                }
                if properties.contains(where: { WireTypeCode.writeThrows($0.type) }) {
                    p.rollingBackOnError(writeAll)
                } else {
                    writeAll(&p)
                }
            }
        }
    }

    private func mask(_ offset: Int) -> String {
        "0x" + String(1 << (15 - offset % 15), radix: 16, uppercase: true).leftPadded(to: 4)
    }
}
