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
        printer.line("/// A value type. Properties built in Swift live in one shared, copy-on-write storage")
        printer.line("/// object, so a copy is one reference; properties with nothing set hold no reference at")
        printer.line("/// all (no allocation, and no reference count shared by every message without properties).")
        printer.line("/// Properties decoded from a content header stay the header's wire bytes, checked when")
        printer.line("/// they arrived: decoding allocates nothing, forwarding them copies the bytes as they")
        printer.line("/// came (a flag bit no property uses included), and each property is read from the bytes")
        printer.line("/// when asked for (copy one into a local when reading it often). They keep the received")
        printer.line("/// buffer they are a slice of alive. Changing one turns them into Swift values first.")
        printer.block("public struct \(Self.typeName(specClass)): AMQPContentProperties {") { p in
            p.line("/// The class id these properties belong to.")
            p.line("public static let classID: UInt16 = \(specClass.index)")
            p.line()
            renderStorage(properties, into: &p)
            p.line()
            p.line("/// Where the values are.")
            p.block("private enum Representation: Sendable {") { p in
                p.line("/// No property set.")
                p.line("case empty")
                p.line("/// Swift values.")
                p.line("case values(Storage)")
                p.line("/// The flag words and properties as they came off the wire, already checked.")
                p.line("case wire(ByteBuffer)")
            }
            p.line()
            p.line("private var representation: Representation")
            p.line()
            p.line("/// The storage to change: this value's own (copied first when another value shares it,")
            p.line("/// decoded first when this value holds wire bytes).")
            p.block("private mutating func uniqueStorage() -> Storage {") { p in
                p.switchBlock("switch representation {") { p in
                    p.line("case .values(var storage):")
                    p.line("    representation = .empty  // let go of this value's reference while checking")
                    p.line("    if isKnownUniquelyReferenced(&storage) {")
                    p.line("        storage.memo.forget()  // its encoding is about to be out of date")
                    p.line("    } else {")
                    p.line("        storage = storage.copy()")
                    p.line("    }")
                    p.line("    representation = .values(storage)")
                    p.line("    return storage")
                    p.line("case .empty:")
                    p.line("    let storage = Storage()")
                    p.line("    representation = .values(storage)")
                    p.line("    return storage")
                    p.line("case .wire(let bytes):")
                    p.line("    let storage = Self.storage(decoding: bytes)")
                    p.line("    representation = .values(storage)")
                    p.line("    return storage")
                }
            }
            for (index, property) in properties.enumerated() {
                let name = SwiftNaming.rawLowerCamel(property.name)
                p.line()
                p.line("/// `\(property.name)`: \(property.type.rawValue).")
                p.block("public var \(SwiftNaming.lowerCamel(property.name)): \(WireTypeCode.swiftType(property.type))? {") { p in
                    p.block("get {") { p in
                        p.switchBlock("switch representation {") { p in
                            p.line("case .empty: return nil")
                            p.line("case .values(let storage): return storage.\(name)")
                            if property.type == .bit {
                                p.line("case .wire(let bytes): return Self.wireValue(bytes, \(index)) { (_: inout AMQPReader) throws(AMQPProtocolError) in true }")
                            } else {
                                p.line("case .wire(let bytes): return Self.wireValue(bytes, \(index)) { (reader: inout AMQPReader) throws(AMQPProtocolError) in \(WireTypeCode.readExpression(property.type)) }")
                            }
                        }
                    }
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
                    p.line("self.representation = .empty")
                    p.line("return")
                }
                p.line("let storage = Storage()")
                for property in properties {
                    p.line("storage.\(SwiftNaming.rawLowerCamel(property.name)) = \(SwiftNaming.lowerCamel(property.name))")
                }
                p.line("self.representation = .values(storage)")
            }
            p.line()
            p.line("/// Decodes the property flag words and checks the properties they announce (lengths,")
            p.line("/// UTF-8, tables), keeping their bytes; nothing is allocated.")
            p.block("public init(from reader: inout AMQPReader) throws(AMQPProtocolError) {") { p in
                p.line("let start = reader.position")
                p.line("let present = try Self.readFlags(&reader)")
                p.block("guard present != 0 else {") { p in
                    p.line("self.representation = .empty")
                    p.line("return")
                }
                for (index, property) in properties.enumerated() {
                    guard let check = WireTypeCode.checkStatement(property.type) else { continue }
                    p.line("if present & \(presenceMask(index)) != 0 { \(check) }")
                }
                p.line("self.representation = .wire(reader.slice(from: start))")
            }
            p.line()
            renderWireAccess(properties, wordCount: wordCount, into: &p)
            p.line()
            p.line("/// The size of the flag words and the properties that are set; checks what could make encoding fail.")
            let throwing = sizeThrows(properties)
            p.block("public func encodedSize()\(throwing) -> Int {") { p in
                renderStorageOrWire(into: &p, empty: "return \(2 * wordCount)", wire: "return bytes.readableBytes") { p in
                    p.line("return \(throwing.isEmpty ? "" : "try ")storage.encodedSize()")
                }
            }
            p.line()
            p.line("/// Encodes the flag words and every property that is set into memory `encodedSize()` reserved.")
            p.block("public func encode(to writer: inout AMQPWriter) {") { p in
                let emptyFlags = (0..<wordCount).map { "writer.writeShort(\($0 < wordCount - 1 ? "0x0001" : "0"))" }
                renderStorageOrWire(into: &p, empty: emptyFlags.joined(separator: "; "), wire: "return writer.writeBytes(of: bytes)") { p in
                    p.line("storage.encode(to: &writer)")
                }
            }
            p.line()
            p.line("/// Equal when every property is.")
            p.block("public static func == (lhs: Self, rhs: Self) -> Bool {") { p in
                p.switchBlock("switch (lhs.representation, rhs.representation) {") { p in
                    p.line("case (.empty, .empty): return true")
                    p.line("case (.values(let left), .values(let right)) where left === right: return true")
                    p.line("case (.wire(let left), .wire(let right)) where left == right: return true")
                    p.line("default: break")
                }
                for (offset, property) in properties.enumerated() {
                    let name = SwiftNaming.rawLowerCamel(property.name)
                    p.line("\(offset == 0 ? "return" : "    &&") lhs.\(name) == rhs.\(name)")
                }
            }
            p.line()
            p.line("/// Hashes every property.")
            p.block("public func hash(into hasher: inout Hasher) {") { p in
                for property in properties {
                    p.line("hasher.combine(\(SwiftNaming.rawLowerCamel(property.name)))")
                }
            }
        }
    }

    /// The storage class: one stored optional per property. Changed only through a value that
    /// holds the only reference (`uniqueStorage()`), which is what makes it safe to send and
    /// its accesses exclusive without a runtime check.
    private func renderStorage(_ properties: [SpecField], into printer: inout CodePrinter) {
        printer.line("/// The properties' values; shared by copies, changed only when one value holds it alone.")
        printer.block("private final class Storage: @unchecked Sendable {") { p in
            // Only `uniqueStorage()` hands out a storage to change, so no two accesses to one
            // of these can overlap: the runtime's exclusivity check (a thread-local access set,
            // about a third of encoding a publish) would only ever pass.
            for property in properties {
                p.line("@exclusivity(unchecked) var \(SwiftNaming.lowerCamel(property.name)): \(WireTypeCode.swiftType(property.type))?")
            }
            p.line("/// The encoding, kept once the same values were encoded twice (the same properties on")
            p.line("/// every publish); forgotten before a change.")
            p.line("let memo = AMQPEncodingMemo()")
            p.line()
            renderStorageEncoding(properties, into: &p)
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

    /// The storage's own size and encode methods. The struct's call them on the storage it
    /// holds: as the callee's `self` it is borrowed, where code inside the struct's `case` copied
    /// it out of the enum (a retain and a release per encode). Properties are named through
    /// `self.`, so that none can be shadowed by a local (`size`, `value`, `writer`).
    private func renderStorageEncoding(_ properties: [SpecField], into p: inout CodePrinter) {
        let wordCount = (properties.count + 14) / 15
        p.line("/// The size of the flag words and the properties that are set; checks what could make encoding fail.")
        p.block("func encodedSize()\(sizeThrows(properties)) -> Int {") { p in
            p.line("if let size = memo.size { return size }")
            p.line("\(properties.contains { $0.type != .bit } ? "var" : "let") size = \(2 * wordCount)")
            for property in properties where property.type != .bit {
                let name = SwiftNaming.rawLowerCamel(property.name)
                if let fixed = WireTypeCode.fixedSize(property.type) {
                    p.line("if self.\(name) != nil { size += \(fixed) }")
                } else if property.type == .shortstr {
                    // Only the length is read, in place: binding the string would copy it.
                    p.line("if let count = self.\(name)?.utf8.count { size += try AMQPEncodedSize.shortString(utf8Count: count) }")
                } else {
                    p.line("if let value = self.\(name) { size += \(WireTypeCode.sizeExpression(property.type, "value")) }")
                }
            }
            p.line("return size")
        }
        p.line()
        p.line("/// Encodes the flag words and every property that is set into memory `encodedSize()` reserved.")
        p.block("func encode(to writer: inout AMQPWriter) {") { p in
            // One pass: the flag words are written last, into the room left for them, as each
            // property that is set is written (reading a stored optional twice, once to test it
            // and once to write it, costs a retain and a release each time).
            p.line("if memo.write(to: &writer) { return }")
            p.line("let flagsOffset = writer.skip(\(2 * wordCount))")
            for word in 0..<wordCount {
                p.line("var flags\(word): UInt16 = \(word < wordCount - 1 ? "0x0001" : "0")")
            }
            for (offset, property) in properties.enumerated() {
                let name = SwiftNaming.rawLowerCamel(property.name)
                let flag = "flags\(offset / 15) |= \(mask(offset))"
                if property.type == .bit {
                    p.line("if self.\(name) != nil { \(flag) }")
                } else {
                    p.line("if let value = self.\(name) { \(flag); \(WireTypeCode.writeStatement(property.type, "value")) }")
                }
            }
            for word in 0..<wordCount {
                p.line("writer.setShort(flags\(word), at: flagsOffset\(word == 0 ? "" : " + \(2 * word)"))")
            }
            p.line("memo.encoded(writer.written(since: flagsOffset))")
        }
    }

    /// ` throws(AMQPProtocolError)` when computing the properties' size can fail (a short string
    /// or a table among them), otherwise nothing.
    private func sizeThrows(_ properties: [SpecField]) -> String {
        properties.contains { $0.type == .shortstr || $0.type == .table } ? " throws(AMQPProtocolError)" : ""
    }

    /// Runs `empty` when no property is set, `wire` (which returns) with the wire `bytes`, or
    /// `body` with `storage` bound to the Swift values (`body` only calls a method of the
    /// storage: see `renderStorageEncoding`).
    private func renderStorageOrWire(
        into printer: inout CodePrinter, empty: String, wire: String, _ body: (inout CodePrinter) -> Void
    ) {
        printer.switchBlock("switch representation {") { p in
            p.line("case .empty: \(empty)")
            p.line("case .wire(let bytes): \(wire)")
            p.caseBlock("case .values(let storage):", body)
        }
    }

    /// Bit `index` of the presence word `readFlags` returns.
    func presenceMask(_ index: Int) -> String {
        "0x" + String(UInt64(1) << UInt64(index), radix: 16, uppercase: true)
    }

    func mask(_ offset: Int) -> String {
        "0x" + String(1 << (15 - offset % 15), radix: 16, uppercase: true).leftPadded(to: 4)
    }
}
