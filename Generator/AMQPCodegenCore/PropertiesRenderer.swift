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
        printer.line("///")
        printer.line("/// A value type whose properties live in one shared, copy-on-write storage object: a copy")
        printer.line("/// is one reference, so the frames and messages that carry properties stay small, and")
        printer.line("/// properties with nothing set share one empty storage and allocate nothing.")
        printer.block("public struct \(Self.typeName(specClass)): AMQPContentProperties {") { p in
            p.line("/// The class id these properties belong to.")
            p.line("public static let classID: UInt16 = \(specClass.index)")
            p.line()
            renderStorage(properties, into: &p)
            p.line()
            p.line("private var storage: Storage")
            p.line()
            p.line("/// The storage to change: this value's own (copied first when another value shares it).")
            p.block("private mutating func uniqueStorage() -> Storage {") { p in
                p.block("if !isKnownUniquelyReferenced(&storage) {") { p in
                    p.line("storage = storage.copy()")
                }
                p.line("return storage")
            }
            for property in properties {
                let name = SwiftNaming.rawLowerCamel(property.name)
                p.line()
                p.line("/// `\(property.name)`: \(property.type.rawValue).")
                p.block("public var \(SwiftNaming.lowerCamel(property.name)): \(WireTypeCode.swiftType(property.type))? {") { p in
                    p.line("get { storage.\(name) }")
                    p.line("set { uniqueStorage().\(name) = newValue }")
                    p.block("_modify {") { p in
                        p.line("let storage = uniqueStorage()")
                        p.line("yield &storage.\(name)")
                    }
                }
            }
            p.line()
            p.line("/// Creates properties; the ones left nil are not sent.")
            p.line("public init(")
            for (offset, property) in properties.enumerated() {
                let comma = offset == properties.count - 1 ? "" : ","
                p.line("    \(SwiftNaming.lowerCamel(property.name)): \(WireTypeCode.swiftType(property.type))? = nil\(comma)")
            }
            p.block(") {") { p in
                let allNil = properties.map { "\(SwiftNaming.lowerCamel($0.name)) == nil" }.joined(separator: " && ")
                p.block("guard !(\(allNil)) else {") { p in
                    p.line("self.storage = .empty")
                    p.line("return")
                }
                p.line("let storage = Storage()")
                for property in properties {
                    p.line("storage.\(SwiftNaming.rawLowerCamel(property.name)) = \(SwiftNaming.lowerCamel(property.name))")
                }
                p.line("self.storage = storage")
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
                let anyFlag = (0..<wordCount).map { "flags\($0) & 0xFFFE != 0" }.joined(separator: " || ")
                p.block("guard \(anyFlag) else {") { p in
                    p.line("self.storage = .empty")
                    p.line("return")
                }
                p.line("let storage = Storage()")
                for (offset, property) in properties.enumerated() {
                    let flag = "flags\(offset / 15) & \(mask(offset)) != 0"
                    let name = SwiftNaming.rawLowerCamel(property.name)
                    if property.type == .bit {
                        p.line("if \(flag) { storage.\(name) = true }")
                    } else {
                        p.line("if \(flag) { storage.\(name) = \(WireTypeCode.readExpression(property.type)) }")
                    }
                }
                p.line("self.storage = storage")
            }
            p.line()
            p.line("/// The size of the flag words and the properties that are set; checks what could make encoding fail.")
            let throwing = properties.contains { $0.type == .shortstr || $0.type == .table } ? " throws(AMQPProtocolError)" : ""
            p.block("public func encodedSize()\(throwing) -> Int {") { p in
                p.line("\(properties.contains { $0.type != .bit } ? "var" : "let") size = \(2 * wordCount)")
                if properties.contains(where: { $0.type != .bit }) {
                    p.line("let storage = self.storage")
                }
                for property in properties where property.type != .bit {
                    let name = SwiftNaming.rawLowerCamel(property.name)
                    if let fixed = WireTypeCode.fixedSize(property.type) {
                        p.line("if storage.\(name) != nil { size += \(fixed) }")
                    } else {
                        p.line("if let value = storage.\(name) { size += \(WireTypeCode.sizeExpression(property.type, "value")) }")
                    }
                }
                p.line("return size")
            }
            p.line()
            p.line("/// Encodes the flag words and every property that is set into memory `encodedSize()` reserved.")
            p.block("public func encode(to writer: inout AMQPWriter) {") { p in
                p.line("let storage = self.storage")
                for word in 0..<wordCount {
                    p.line("var flags\(word): UInt16 = \(word < wordCount - 1 ? "0x0001" : "0")")
                }
                for (offset, property) in properties.enumerated() {
                    p.line("if storage.\(SwiftNaming.rawLowerCamel(property.name)) != nil { flags\(offset / 15) |= \(mask(offset)) }")
                }
                for word in 0..<wordCount {
                    p.line("writer.writeShort(flags\(word))")
                }
                for property in properties where property.type != .bit {
                    let name = SwiftNaming.rawLowerCamel(property.name)
                    p.line("if let value = storage.\(name) { \(WireTypeCode.writeStatement(property.type, "value")) }")
                }
            }
            p.line()
            p.line("/// Equal when every property is.")
            p.block("public static func == (lhs: Self, rhs: Self) -> Bool {") { p in
                p.line("if lhs.storage === rhs.storage { return true }")
                for (offset, property) in properties.enumerated() {
                    let name = SwiftNaming.rawLowerCamel(property.name)
                    p.line("\(offset == 0 ? "return" : "    &&") lhs.storage.\(name) == rhs.storage.\(name)")
                }
            }
            p.line()
            p.line("/// Hashes every property.")
            p.block("public func hash(into hasher: inout Hasher) {") { p in
                for property in properties {
                    p.line("hasher.combine(storage.\(SwiftNaming.rawLowerCamel(property.name)))")
                }
            }
        }
    }

    /// The storage class: one stored optional per property. Changed only through a value that
    /// holds the only reference (`uniqueStorage()`), which is what makes it safe to send.
    private func renderStorage(_ properties: [SpecField], into printer: inout CodePrinter) {
        printer.line("/// The properties' values; shared by copies, changed only when one value holds it alone.")
        printer.block("private final class Storage: @unchecked Sendable {") { p in
            p.line("/// The storage of properties with nothing set, shared by all of them.")
            p.line("static let empty = Storage()")
            for property in properties {
                p.line("var \(SwiftNaming.lowerCamel(property.name)): \(WireTypeCode.swiftType(property.type))?")
            }
            p.line()
            p.block("func copy() -> Storage {") { p in
                p.line("let copy = Storage()")
                for property in properties {
                    let name = SwiftNaming.rawLowerCamel(property.name)
                    p.line("copy.\(name) = \(name)")
                }
                p.line("return copy")
            }
        }
    }

    private func mask(_ offset: Int) -> String {
        "0x" + String(1 << (15 - offset % 15), radix: 16, uppercase: true).leftPadded(to: 4)
    }
}
