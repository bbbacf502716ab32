import AMQPProtocol

/// One queue or consumer argument of a run (`x-max-length=10`, `x-priority=5`), as PerfTest's
/// `--queue-args` and `--consumer-args` take them: a key and a value whose type is read from
/// its text, because the broker checks the type (a length given as a string is refused).
public struct PerfArgument: Sendable, Codable, Equatable {
    /// The argument's name, `x-max-length` for example.
    public var key: String
    /// Its value.
    public var value: Value

    /// An argument's value: a whole number, `true` or `false`, or else a string.
    public enum Value: Sendable, Codable, Equatable {
        /// Sent as a signed 64-bit integer (`l`), which the broker takes for every numeric argument.
        case integer(Int64)
        case boolean(Bool)
        case string(String)

        /// Reads `text` as a whole number, then as `true`/`false`, and otherwise keeps it as a
        /// string (so `x-overflow=reject-publish` stays a string and `x-max-length=10` does not);
        /// text in double quotes is the string between them (`"2024"` is a string).
        public init(parsing text: Substring) {
            if text.count >= 2, text.first == "\"", text.last == "\"" {
                self = .string(String(text.dropFirst().dropLast()))
            } else if let number = Int64(text) {
                self = .integer(number)
            } else if text == "true" || text == "false" {
                self = .boolean(text == "true")
            } else {
                self = .string(String(text))
            }
        }

        /// The value as it goes on the wire.
        public var fieldValue: FieldValue {
            switch self {
            case .integer(let number): .int64(number)
            case .boolean(let flag): .boolean(flag)
            case .string(let text): .string(text)
            }
        }

        // In JSON the value is a plain number, boolean or string.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int64.self) {
                self = .integer(number)
            } else if let flag = try? container.decode(Bool.self) {
                self = .boolean(flag)
            } else {
                self = .string(try container.decode(String.self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .integer(let number): try container.encode(number)
            case .boolean(let flag): try container.encode(flag)
            case .string(let text): try container.encode(text)
            }
        }
    }

    /// An argument with a value of a given type.
    public init(key: String, value: Value) {
        self.key = key
        self.value = value
    }

    /// Reads `key=value` pairs separated by commas (`"x-max-length=10,x-overflow=reject-publish"`),
    /// from each of `lists` in turn (an option given several times); the value is everything
    /// after the first `=`. Spaces around a key or a value are dropped; a value cannot hold a
    /// comma.
    ///
    /// - Throws: `PerfConfigurationError` for `setting` when a pair is empty, has no `=`, or has
    ///   an empty key.
    public static func parse(_ lists: [String], setting: String) throws(PerfConfigurationError) -> [PerfArgument] {
        var arguments: [PerfArgument] = []
        for list in lists {
            for pair in list.split(separator: ",", omittingEmptySubsequences: false) {
                guard !trimmed(pair).isEmpty else {
                    throw PerfConfigurationError(setting: setting, reason: "an empty pair in '\(list)' (a comma too many?)")
                }
                guard let equals = pair.firstIndex(of: "=") else {
                    throw PerfConfigurationError(setting: setting, reason: "'\(pair)' is not key=value (a value cannot hold a comma)")
                }
                let key = trimmed(pair[..<equals])
                guard !key.isEmpty else {
                    throw PerfConfigurationError(setting: setting, reason: "'\(pair)' has no key")
                }
                arguments.append(PerfArgument(key: String(key), value: Value(parsing: trimmed(pair[pair.index(after: equals)...]))))
            }
        }
        return arguments
    }

    /// `text` without the spaces at either end.
    private static func trimmed(_ text: Substring) -> Substring {
        let start = text.firstIndex { $0 != " " } ?? text.endIndex
        let end = text.lastIndex { $0 != " " }.map(text.index(after:)) ?? start
        return text[start..<max(start, end)]
    }

    /// Checks a list of arguments for `setting`: keys the wire can carry (a short string, at most
    /// 255 bytes of UTF-8), each given once.
    static func validate(_ arguments: [PerfArgument], setting: String) throws(PerfConfigurationError) {
        var seen = Set<String>()
        for argument in arguments {
            guard !argument.key.isEmpty else { throw PerfConfigurationError(setting: setting, reason: "an argument has no key") }
            guard argument.key.utf8.count <= 255 else {
                throw PerfConfigurationError(setting: setting, reason: "the key '\(argument.key.prefix(20))...' is over 255 bytes")
            }
            guard seen.insert(argument.key).inserted else {
                throw PerfConfigurationError(setting: setting, reason: "'\(argument.key)' is given twice")
            }
        }
    }

    /// The arguments as a field table, for queue.declare or basic.consume.
    static func table(_ arguments: [PerfArgument]) -> FieldTable {
        var table: FieldTable = [:]
        for argument in arguments { table[argument.key] = argument.value.fieldValue }
        return table
    }
}
