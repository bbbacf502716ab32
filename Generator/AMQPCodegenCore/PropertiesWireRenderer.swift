/// Renders the part of a properties struct that reads wire bytes: the flag words as one
/// presence word, skipping a property, reading one property, and decoding them all.
extension PropertiesRenderer {
    func renderWireAccess(_ properties: [SpecField], wordCount: Int, into p: inout CodePrinter) {
        p.line("/// Reads the flag words: bit `i` of the result says that property `i` is present.")
        p.block("private static func readFlags(_ reader: inout AMQPReader) throws(AMQPProtocolError) -> UInt64 {") { p in
            // Flags of properties the spec does not name are ignored.
            let known = properties.count >= 64 ? UInt64.max : (UInt64(1) << UInt64(properties.count)) - 1
            let knownMask = "0x" + String(known, radix: 16, uppercase: true)
            p.line("try reader.readPropertyFlags(maxWords: \(wordCount)) & \(knownMask)")
        }
        p.line()
        p.line("/// Moves past property `index` in checked wire bytes.")
        p.block("private static func skip(_ index: Int, _ reader: inout AMQPReader) throws(AMQPProtocolError) {") { p in
            p.switchBlock("switch index {") { p in
                for (index, property) in properties.enumerated() where property.type != .bit {
                    p.line("case \(index): \(WireTypeCode.skipStatement(property.type))")
                }
                p.line("default: break")
            }
        }
        p.line()
        p.line("/// `body`'s result for checked wire bytes, given a reader past the flag words and which")
        p.line("/// properties are present; nil when `body` gives nil. Checked bytes never fail to read.")
        p.block("private static func readWire<Value>(_ bytes: ByteBuffer, _ body: (inout AMQPReader, UInt64) throws(AMQPProtocolError) -> Value?) -> Value? {") { p in
            p.line("var bytes = bytes")
            p.block("do {", closing: "} catch {") { p in
                p.block("return try bytes.readAMQP { (reader: inout AMQPReader) throws(AMQPProtocolError) -> Value? in") { p in
                    p.line("try body(&reader, try readFlags(&reader))")
                }
            }
            p.line("    assertionFailure(\"properties checked on arrival fail to read: \\(error)\")")
            p.line("    return nil")
            p.line("}")
        }
        p.line()
        p.line("/// Property `index` read from checked wire bytes; nil when its flag is clear.")
        p.block("private static func wireValue<Value>(_ bytes: ByteBuffer, _ index: Int, _ read: (inout AMQPReader) throws(AMQPProtocolError) -> Value) -> Value? {") { p in
            p.block("readWire(bytes) { (reader, present) throws(AMQPProtocolError) -> Value? in") { p in
                p.line("guard present & (1 << UInt64(index)) != 0 else { return nil }")
                p.block("for earlier in 0..<index where present & (1 << UInt64(earlier)) != 0 {") { p in
                    p.line("try skip(earlier, &reader)")
                }
                p.line("return try read(&reader)")
            }
        }
        p.line()
        p.line("/// Every property of checked wire bytes as Swift values.")
        p.block("private static func storage(decoding bytes: ByteBuffer) -> Storage {") { p in
            p.line("let storage = Storage()")
            p.block("_ = readWire(bytes) { (reader, present) throws(AMQPProtocolError) -> Void? in") { p in
                for (index, property) in properties.enumerated() {
                    let name = SwiftNaming.rawLowerCamel(property.name)
                    let value = property.type == .bit ? "true" : WireTypeCode.readExpression(property.type)
                    p.line("if present & \(presenceMask(index)) != 0 { storage.\(name) = \(value) }")
                }
                p.line("return ()")
            }
            p.line("return storage")
        }
    }
}
