/// Renders `AMQPMethod.swift`: `AMQP.Method`, one case per method, with decode by
/// (class id, method id), encode, and the per-method metadata.
struct MethodEnumRenderer {
    var spec: Spec

    static func caseName(_ method: SpecMethod, of specClass: SpecClass) -> String {
        SwiftNaming.escaped(SwiftNaming.rawLowerCamel(specClass.name) + SwiftNaming.upperCamel(method.name).replacingOccurrencesOfUnderscoreSuffix())
    }

    /// Methods with a field table are the setup ones (connection start and start-ok, the
    /// declares, binds and unbinds, basic.consume), each a round trip to the broker. The largest
    /// of them (start, start-ok, the binds: about 80 bytes) are larger than any method of the
    /// paths that carry messages (basic.deliver, 64, is the largest). Boxed, they leave
    /// `AMQP.Method`, and so every decoded frame, which those paths copy, the size of
    /// basic.deliver. The smaller ones (the declares, basic.consume) gain nothing from the box
    /// and pay one allocation per call, beside a network round trip; one rule for all keeps the
    /// generator free of guesses at Swift's memory layout.
    static func isBoxed(_ method: SpecMethod) -> Bool {
        method.fields.contains { $0.type == .table }
    }

    private var all: [(specClass: SpecClass, method: SpecMethod, caseName: String, type: String)] {
        spec.classes.flatMap { specClass in
            specClass.methods.map { method in
                (specClass, method, Self.caseName(method, of: specClass),
                 "AMQP.\(SwiftNaming.upperCamel(specClass.name)).\(SwiftNaming.upperCamel(method.name))")
            }
        }
    }

    func render(into printer: inout CodePrinter) {
        let methods = all
        printer.line("import NIOCore")
        printer.line()
        printer.block("extension AMQP {") { p in
            p.line("/// Any method of the protocol, as carried by a method frame; `init(from:)` and")
            p.line("/// `encode(into:)` on a `ByteBuffer` come from `AMQPWireCodable`.")
            p.block("public enum Method: AMQPWireCodable {") { p in
                for entry in methods {
                    p.line("/// `\(entry.specClass.name).\(entry.method.name)`.")
                    p.line("\(Self.isBoxed(entry.method) ? "indirect " : "")case \(entry.caseName)(\(entry.type))")
                }
                p.line()
                p.line("/// Decodes a method frame's payload: class id, method id, then the arguments.")
                p.block("public init(from reader: inout AMQPReader) throws(AMQPProtocolError) {") { p in
                    p.line("let classID = try reader.readShort()")
                    p.line("let methodID = try reader.readShort()")
                    p.block("switch classID {") { p in
                        for specClass in spec.classes where !specClass.methods.isEmpty {
                            p.line("case \(specClass.index):")
                            p.block("    switch methodID {", closing: "    }") { p in
                                for method in specClass.methods {
                                    let entry = methods.first { $0.specClass.name == specClass.name && $0.method.name == method.name }!
                                    p.line("case \(method.index): self = .\(entry.caseName)(try \(entry.type)(from: &reader))")
                                }
                                p.line("default: throw AMQPProtocolError(.unknownMethod(classID: classID, methodID: methodID))")
                            }
                        }
                        p.line("default: throw AMQPProtocolError(.unknownMethod(classID: classID, methodID: methodID))")
                    }
                }
                p.line()
                p.line("/// The size of class id, method id and encoded arguments; checks what could make encoding fail.")
                p.block("public func encodedSize() throws(AMQPProtocolError) -> Int {") { p in
                    p.block("switch self {") { p in
                        for entry in methods {
                            let attempt = ArgumentLayout.sizeThrows(entry.method.fields) ? "try " : ""
                            p.line("case .\(entry.caseName)(let method): return \(attempt)4 + method.encodedSize()")
                        }
                    }
                }
                p.line()
                p.line("/// Encodes class id, method id and arguments into memory `encodedSize()` reserved.")
                p.block("public func encode(to writer: inout AMQPWriter) {") { p in
                    p.block("switch self {") { p in
                        for entry in methods {
                            p.line("case .\(entry.caseName)(let method):")
                            p.line("    writer.writeShort(\(entry.specClass.index))")
                            p.line("    writer.writeShort(\(entry.method.index))")
                            p.line("    method.encode(to: &writer)")
                        }
                    }
                }
                p.line()
                p.line("/// The method's arguments as a value of its own struct.")
                renderSwitch("payload: any AMQPMethodProtocol", methods, into: &p) { _ in "method" }
                p.line()
                p.line("/// The class id on the wire.")
                renderSwitch("classID: UInt16", methods, into: &p) { "\($0.specClass.index)" }
                p.line()
                p.line("/// The method id on the wire.")
                renderSwitch("methodID: UInt16", methods, into: &p) { "\($0.method.index)" }
                p.line()
                p.line("/// The spec's name, `class.method`.")
                renderSwitch("name: String", methods, into: &p) { "\"\($0.specClass.name).\($0.method.name)\"" }
                p.line()
                p.line("/// Whether the spec marks the method synchronous (it expects a response).")
                renderSwitch("isSynchronous: Bool", methods, into: &p) { "\($0.method.isSynchronous)" }
                p.line()
                p.line("/// Whether a content header and body frames follow the method.")
                renderSwitch("hasContent: Bool", methods, into: &p) { "\($0.method.hasContent)" }
            }
        }
    }

    private func renderSwitch(
        _ declaration: String,
        _ methods: [(specClass: SpecClass, method: SpecMethod, caseName: String, type: String)],
        into printer: inout CodePrinter,
        value: ((specClass: SpecClass, method: SpecMethod, caseName: String, type: String)) -> String
    ) {
        let bindsValue = declaration.hasPrefix("payload")
        printer.block("public var \(declaration) {") { p in
            p.block("switch self {") { p in
                for entry in methods {
                    p.line("case .\(entry.caseName)\(bindsValue ? "(let method)" : ""): return \(value(entry))")
                }
            }
        }
    }
}

extension String {
    /// `Type_` (an escaped type name) is `Type` inside a longer case name.
    func replacingOccurrencesOfUnderscoreSuffix() -> String {
        hasSuffix("_") ? String(dropLast()) : self
    }
}
