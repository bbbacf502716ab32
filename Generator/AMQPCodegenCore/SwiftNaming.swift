/// Swift spellings of spec names: `consumer-tag` -> `consumerTag`, `declare-ok` -> `DeclareOk`.
public enum SwiftNaming {
    /// Words of a spec name: the spec separates them with `-`, and 0-8 with spaces.
    static func words(_ name: String) -> [String] {
        name.split(whereSeparator: { $0 == "-" || $0 == " " || $0 == "_" || $0 == "." }).map(String.init)
    }

    /// `consumer-tag` -> `consumerTag`; keywords come back in backticks.
    public static func lowerCamel(_ name: String) -> String {
        escaped(rawLowerCamel(name))
    }

    /// `consumer-tag` -> `consumerTag`, never escaped (for composing bigger names).
    public static func rawLowerCamel(_ name: String) -> String {
        let parts = words(name)
        guard let first = parts.first else { return "_" }
        let identifier = first.lowercased() + parts.dropFirst().map(capitalized).joined()
        return identifier.first?.isNumber == true ? "_" + identifier : identifier
    }

    /// `declare-ok` -> `DeclareOk`; names that clash with Swift's (`Type`, `Self`, ...) get a `_` suffix.
    public static func upperCamel(_ name: String) -> String {
        let identifier = words(name).map(capitalized).joined()
        if identifier.isEmpty || identifier.first?.isNumber == true { return "_" + identifier }
        return reservedTypeNames.contains(identifier) ? identifier + "_" : identifier
    }

    /// `consumer-tag` -> `consumerTag` as an argument label at a call site, where only
    /// `inout`, `var` and `let` need backticks.
    public static func argumentLabel(_ name: String) -> String {
        let identifier = rawLowerCamel(name)
        return ["inout", "var", "let"].contains(identifier) ? "`\(identifier)`" : identifier
    }

    /// The identifier in backticks when Swift reserves it.
    public static func escaped(_ identifier: String) -> String {
        keywords.contains(identifier) ? "`\(identifier)`" : identifier
    }

    private static func capitalized(_ word: String) -> String {
        guard let first = word.first else { return word }
        return first.uppercased() + word.dropFirst().lowercased()
    }

    private static let reservedTypeNames: Set<String> = ["Type", "Self", "Protocol", "Any", "Method", "Properties", "String", "Bool", "UInt8", "UInt16", "UInt32", "UInt64", "Int", "ByteBuffer", "FieldTable", "AMQPTimestamp", "AMQPProtocolError", "Constants", "ReplyCode"]

    private static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
        "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public",
        "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue",
        "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return",
        "throw", "switch", "where", "while", "as", "false", "is", "nil", "self", "Self", "super", "throws",
        "true", "try", "Any", "Protocol", "Type", "await", "consume", "copy", "discard", "borrowing", "consuming",
    ]
}
