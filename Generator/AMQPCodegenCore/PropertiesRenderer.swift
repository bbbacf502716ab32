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
            p.block("public init(from reader: inout AMQPReader) throws(AMQPProtocolError) {") { p in
                for word in 0..<wordCount {
                    p.line("let flags\(word) = try reader.readShort()")
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
            p.line("/// The size of the flag words and the properties that are set; checks what could make encoding fail.")
            let throwing = properties.contains { $0.type == .shortstr || $0.type == .table } ? " throws(AMQPProtocolError)" : ""
            p.block("public func encodedSize()\(throwing) -> Int {") { p in
                p.line("\(properties.contains { $0.type != .bit } ? "var" : "let") size = \(2 * wordCount)")
                for property in properties where property.type != .bit {
                    let name = SwiftNaming.rawLowerCamel(property.name)
                    if let fixed = WireTypeCode.fixedSize(property.type) {
                        p.line("if self.\(name) != nil { size += \(fixed) }")
                    } else {
                        p.line("if let value = self.\(name) { size += \(WireTypeCode.sizeExpression(property.type, "value")) }")
                    }
                }
                p.line("return size")
            }
            p.line()
            p.line("/// Encodes the flag words and every property that is set into memory `encodedSize()` reserved.")
            p.block("public func encode(to writer: inout AMQPWriter) {") { p in
                for word in 0..<wordCount {
                    p.line("var flags\(word): UInt16 = \(word < wordCount - 1 ? "0x0001" : "0")")
                }
                for (offset, property) in properties.enumerated() {
                    p.line("if self.\(SwiftNaming.rawLowerCamel(property.name)) != nil { flags\(offset / 15) |= \(mask(offset)) }")
                }
                for word in 0..<wordCount {
                    p.line("writer.writeShort(flags\(word))")
                }
                for property in properties where property.type != .bit {
                    let name = SwiftNaming.rawLowerCamel(property.name)
                    p.line("if let value = self.\(name) { \(WireTypeCode.writeStatement(property.type, "value")) }")
                }
            }
        }
    }

    private func mask(_ offset: Int) -> String {
        "0x" + String(1 << (15 - offset % 15), radix: 16, uppercase: true).leftPadded(to: 4)
    }
}
