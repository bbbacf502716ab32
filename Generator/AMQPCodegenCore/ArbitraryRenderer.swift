/// Renders `AMQPArbitrary.swift` for a test target: a random instance of every method and of
/// every properties struct, so that round-trip tests cover whatever the spec holds.
///
/// The generated code calls an `ArbitraryValue` type that the test target provides, with one
/// static function per wire type: `bool`, `octet`, `short`, `long`, `longlong`, `shortstr`,
/// `longstr`, `timestamp` and `table`, each taking `using: inout some RandomNumberGenerator`.
struct ArbitraryRenderer {
    var spec: Spec

    static let fileName = "AMQPArbitrary.swift"

    func render(into printer: inout CodePrinter) {
        printer.line("import AMQPProtocol")
        printer.line("import NIOCore")
        printer.line()
        printer.block("extension AMQP.Method {") { p in
            p.line("/// One random instance of every method of the spec, in spec order.")
            p.block("static func arbitraryInstances(using generator: inout some RandomNumberGenerator) -> [AMQP.Method] {") { p in
                p.line("var methods: [AMQP.Method] = []")
                for specClass in spec.classes {
                    for method in specClass.methods {
                        let type = "AMQP.\(SwiftNaming.upperCamel(specClass.name)).\(SwiftNaming.upperCamel(method.name))"
                        let visible = method.fields.filter { !$0.isReserved }
                        if visible.isEmpty {
                            p.line("methods.append(.\(MethodEnumRenderer.caseName(method, of: specClass))(\(type)()))")
                        } else {
                            p.line("methods.append(.\(MethodEnumRenderer.caseName(method, of: specClass))(\(type)(")
                            for (offset, field) in visible.enumerated() {
                                let comma = offset == visible.count - 1 ? "" : ","
                                p.line("    \(SwiftNaming.argumentLabel(field.name)): \(value(field.type))\(comma)")
                            }
                            p.line(")))")
                        }
                    }
                }
                p.line("return methods")
            }
        }
        for specClass in spec.classes where !specClass.properties.isEmpty {
            let type = "AMQP." + PropertiesRenderer.typeName(specClass)
            printer.line()
            printer.block("extension \(type) {") { p in
                p.line("/// Properties where each one is set or not at random (about half of them), or all set.")
                p.block("static func arbitrary(using generator: inout some RandomNumberGenerator, settingAll: Bool = false) -> \(type) {") { p in
                    p.line("var properties = \(type)()")
                    for property in specClass.properties {
                        p.line("if settingAll || Bool.random(using: &generator) { properties.\(SwiftNaming.rawLowerCamel(property.name)) = \(value(property.type)) }")
                    }
                    p.line("return properties")
                }
                p.line()
                p.line("/// Properties with every one set to a random value.")
                p.block("static func arbitraryFull(using generator: inout some RandomNumberGenerator) -> \(type) {") { p in
                    p.line("arbitrary(using: &generator, settingAll: true)")
                }
                p.line()
                p.line("/// For each property, properties with only that one set (at a random value).")
                p.block("static func eachAlone(using generator: inout some RandomNumberGenerator) -> [\(type)] {") { p in
                    p.line("var all: [\(type)] = []")
                    for property in specClass.properties {
                        p.line("all.append(\(type)(\(SwiftNaming.argumentLabel(property.name)): \(value(property.type))))")
                    }
                    p.line("return all")
                }
            }
        }
    }

    private func value(_ type: AMQPType) -> String {
        let name = type == .bit ? "bool" : type.rawValue
        return "ArbitraryValue.\(name)(using: &generator)"
    }
}
