/// Renders `AMQP.swift`: the namespace, the protocol version, constants and reply codes.
struct ConstantsRenderer {
    var spec: Spec

    func render(into printer: inout CodePrinter) {
        printer.line("/// The AMQP \(versionText) protocol as generated from the spec: constants, reply codes,")
        printer.line("/// one namespace per class holding its methods, `AMQP.Method` and the content properties.")
        printer.block("public enum AMQP {") { p in
            p.line("/// The protocol version this code was generated for (major, minor, revision).")
            p.line("public static let version: (major: UInt8, minor: UInt8, revision: UInt8) = (\(spec.major), \(spec.minor), \(spec.revision))")
            p.line()
            p.line("/// The spec's default port.")
            p.line("public static let defaultPort = \(spec.port)")
            p.line()
            p.line("/// Every `<constant>` of the spec, by name.")
            p.block("public enum Constants {") { p in
                for constant in spec.constants {
                    p.line("/// `\(constant.name)`\(constant.errorClass.map { " (\($0))" } ?? "").")
                    p.line("public static let \(SwiftNaming.lowerCamel(constant.name)) = \(constant.value)")
                }
            }
            p.line()
            renderReplyCode(into: &p)
        }
    }

    private var versionText: String {
        "\(spec.major)-\(spec.minor)" + (spec.revision == 0 ? "" : "-\(spec.revision)")
    }

    private var replyCodes: [SpecConstant] {
        spec.constants.filter { $0.errorClass != nil || $0.name.replacingSpaces().hasPrefix("reply-") }
            .filter { (0...0xFFFF).contains($0.value) }
    }

    private func renderReplyCode(into printer: inout CodePrinter) {
        printer.line("/// A reply code of `connection.close`, `channel.close` or `basic.return`, with its error class.")
        printer.block("public struct ReplyCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {") { p in
            p.line("/// Whether an error closes only the channel (soft) or the whole connection (hard).")
            p.block("public enum ErrorClass: Sendable, Hashable {") { p in
                p.line("/// The channel is closed; the connection lives on.")
                p.line("case softError")
                p.line("/// The connection is closed.")
                p.line("case hardError")
            }
            p.line()
            p.line("/// The numeric code as it is on the wire.")
            p.line("public var rawValue: UInt16")
            p.line()
            p.line("/// Wraps any code, known or not.")
            p.line("public init(rawValue: UInt16) { self.rawValue = rawValue }")
            p.line()
            for code in replyCodes {
                p.line("/// `\(code.name)` (\(code.value))\(code.errorClass.map { ", a \($0)" } ?? "").")
                p.line("public static let \(SwiftNaming.lowerCamel(code.name)) = ReplyCode(rawValue: \(code.value))")
            }
            p.line()
            p.line("/// Every reply code the spec names.")
            p.line("public static let allKnown: [ReplyCode] = [\(replyCodes.map { "." + SwiftNaming.lowerCamel($0.name) }.joined(separator: ", "))]")
            p.line()
            p.line("/// The spec's error class for this code, or nil for success and unknown codes.")
            p.block("public var errorClass: ErrorClass? {") { p in
                p.block("switch rawValue {") { p in
                    let soft = replyCodes.filter { $0.errorClass == "soft-error" }.map { String($0.value) }
                    let hard = replyCodes.filter { $0.errorClass == "hard-error" }.map { String($0.value) }
                    if !soft.isEmpty { p.line("case \(soft.joined(separator: ", ")): return .softError") }
                    if !hard.isEmpty { p.line("case \(hard.joined(separator: ", ")): return .hardError") }
                    p.line("default: return nil")
                }
            }
            p.line()
            p.line("/// The spec's name for this code (`not-found`), or nil when the spec does not name it.")
            p.block("public var name: String? {") { p in
                p.block("switch rawValue {") { p in
                    var seen: Set<Int> = []
                    for code in replyCodes where seen.insert(code.value).inserted {
                        p.line("case \(code.value): return \"\(code.name)\"")
                    }
                    p.line("default: return nil")
                }
            }
            p.line()
            p.line("public var description: String { name.map { \"\\($0) (\\(rawValue))\" } ?? String(rawValue) }")
        }
    }
}
