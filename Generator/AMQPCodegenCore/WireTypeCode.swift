/// How each wire type is spelled in generated Swift: its type, default, size, and the
/// `AMQPReader` / `AMQPWriter` calls of the AMQPProtocol module that read and write it.
enum WireTypeCode {
    static func swiftType(_ type: AMQPType) -> String {
        switch type {
        case .bit: "Bool"
        case .octet: "UInt8"
        case .short: "UInt16"
        case .long: "UInt32"
        case .longlong: "UInt64"
        case .shortstr: "String"
        case .longstr, .content: "ByteBuffer"
        case .timestamp: "AMQPTimestamp"
        case .table: "FieldTable"
        }
    }

    static func defaultValue(_ type: AMQPType) -> String {
        switch type {
        case .bit: "false"
        case .octet, .short, .long, .longlong: "0"
        case .shortstr: "\"\""
        case .longstr, .content: "ByteBuffer()"
        case .timestamp: "AMQPTimestamp(secondsSince1970: 0)"
        case .table: "FieldTable()"
        }
    }

    /// The primitive's name in `read<Name>` / `write<Name>`.
    private static func primitive(_ type: AMQPType) -> String {
        switch type {
        case .bit, .octet: "Octet"
        case .short: "Short"
        case .long: "Long"
        case .longlong: "LongLong"
        case .shortstr: "ShortString"
        case .longstr: "LongString"
        case .timestamp: "Timestamp"
        case .table: "FieldTable"
        case .content: "Content"
        }
    }

    /// The encoded size when it does not depend on the value.
    static func fixedSize(_ type: AMQPType) -> Int? {
        switch type {
        case .bit, .octet: 1
        case .short: 2
        case .long: 4
        case .longlong, .timestamp: 8
        case .shortstr, .longstr, .table, .content: nil
        }
    }

    /// The size expression of a variable-size value; `try` where computing it checks the value
    /// (a short string over 255 bytes, a table nested too deep).
    static func sizeExpression(_ type: AMQPType, _ value: String) -> String {
        switch type {
        case .shortstr: "try AMQPEncodedSize.shortString(\(value))"
        case .table: "try AMQPEncodedSize.fieldTable(\(value))"
        case .longstr: "AMQPEncodedSize.longString(\(value))"
        case .content: "1 + AMQPEncodedSize.longString(\(value))"
        default: String(fixedSize(type) ?? 0)
        }
    }

    /// The encoded size of a reserved field's default.
    static func defaultSize(_ type: AMQPType) -> Int {
        switch type {
        case .shortstr: 1
        case .longstr, .table: 4
        case .content: 5
        default: fixedSize(type) ?? 0
        }
    }

    static func readExpression(_ type: AMQPType) -> String {
        "try reader.read\(primitive(type))()"
    }

    static func writeStatement(_ type: AMQPType, _ value: String) -> String {
        "writer.write\(primitive(type))(\(value))"
    }

    /// Reads past a reserved field without building or validating its value.
    static func skipStatement(_ type: AMQPType) -> String {
        switch type {
        case .shortstr: "try reader.skipShortString()"
        case .longstr, .table: "try reader.skipLongString()"
        case .content: "try reader.skip(1); try reader.skipLongString()"
        default: "try reader.skip(\(fixedSize(type) ?? 0))"
        }
    }

    /// Checks a received property and moves past it without building its value: a short
    /// string's UTF-8, a table's structure. Nil for a bit, which has no bytes.
    static func checkStatement(_ type: AMQPType) -> String? {
        switch type {
        case .bit: nil
        case .shortstr: "try reader.checkShortString()"
        case .table: "try reader.checkFieldTable()"
        default: skipStatement(type)
        }
    }

    /// Writes the encoding of a reserved field's default without building a value.
    static func writeDefaultStatement(_ type: AMQPType) -> String {
        switch type {
        case .bit, .octet, .shortstr: "writer.writeOctet(0)"
        case .short: "writer.writeShort(0)"
        case .long, .longstr, .table: "writer.writeLong(0)"
        case .longlong, .timestamp: "writer.writeLongLong(0)"
        case .content: "writer.writeOctet(0); writer.writeLong(0)"
        }
    }
}

/// Method arguments in wire order, with consecutive bits gathered into octets.
enum ArgumentLayout {
    /// One wire item: a single non-bit field, or up to eight bits packed into one octet.
    enum Item {
        case field(SpecField)
        case bits([SpecField])
    }

    static func items(_ fields: [SpecField]) -> [Item] {
        var items: [Item] = []
        var pending: [SpecField] = []
        for field in fields {
            if field.type == .bit {
                pending.append(field)
                if pending.count == 8 {
                    items.append(.bits(pending))
                    pending = []
                }
            } else {
                if !pending.isEmpty {
                    items.append(.bits(pending))
                    pending = []
                }
                items.append(.field(field))
            }
        }
        if !pending.isEmpty { items.append(.bits(pending)) }
        return items
    }

    /// `init(from reader:)` body lines that read every field into `self`.
    ///
    /// Each argument is read into a local, and `self` is initialized once at the end from the
    /// locals: assigning `self`'s stored properties one by one between reads that can throw
    /// makes the compiler build the value aside, copy it out and destroy the original (for
    /// basic.deliver a retain and a release of each of its three strings, per delivery).
    static func renderDecode(_ fields: [SpecField], into printer: inout CodePrinter) {
        var group = 0
        for item in items(fields) {
            switch item {
            case .field(let field):
                if field.isReserved {
                    printer.line(WireTypeCode.skipStatement(field.type) + "  // \(field.name) (reserved)")
                } else {
                    printer.line("let \(SwiftNaming.lowerCamel(field.name)) = \(WireTypeCode.readExpression(field.type))")
                }
            case .bits(let bits):
                let visible = bits.enumerated().filter { !$0.element.isReserved }
                if visible.isEmpty {
                    printer.line("try reader.skip(1)  // reserved bits")
                    continue
                }
                let name = "bits\(group)"
                group += 1
                printer.line("let \(name) = try reader.readOctet()")
                for (offset, field) in visible {
                    printer.line("let \(SwiftNaming.lowerCamel(field.name)) = \(name) & \(bitMask(offset)) != 0")
                }
            }
        }
        let arguments = fields.filter { !$0.isReserved }.map { "\(SwiftNaming.argumentLabel($0.name)): \(SwiftNaming.lowerCamel($0.name))" }
        printer.line("self.init(\(arguments.joined(separator: ", ")))")
    }

    /// `encodedSize()` body lines: the fixed part as one constant, then each variable-size field.
    static func renderSize(_ fields: [SpecField], into printer: inout CodePrinter) {
        var fixed = 0
        var variable: [String] = []
        for item in items(fields) {
            switch item {
            case .bits:
                fixed += 1
            case .field(let field):
                if field.isReserved {
                    fixed += WireTypeCode.defaultSize(field.type)
                } else if let size = WireTypeCode.fixedSize(field.type) {
                    fixed += size
                } else {
                    variable.append(WireTypeCode.sizeExpression(field.type, "self.\(SwiftNaming.rawLowerCamel(field.name))"))
                }
            }
        }
        if variable.isEmpty {
            printer.line("\(fixed)")
        } else {
            printer.line("var size = \(fixed)")
            for expression in variable {
                printer.line("size += \(expression)")
            }
            printer.line("return size")
        }
    }

    /// Whether `encodedSize()` can throw for these fields.
    static func sizeThrows(_ fields: [SpecField]) -> Bool {
        fields.contains { !$0.isReserved && ($0.type == .shortstr || $0.type == .table) }
    }

    /// `encode(to writer:)` body lines that write every field of `self`.
    static func renderEncode(_ fields: [SpecField], into printer: inout CodePrinter) {
        var group = 0
        for item in items(fields) {
            switch item {
            case .field(let field):
                if field.isReserved {
                    printer.line(WireTypeCode.writeDefaultStatement(field.type) + "  // \(field.name) (reserved)")
                } else {
                    printer.line(WireTypeCode.writeStatement(field.type, "self.\(SwiftNaming.rawLowerCamel(field.name))"))
                }
            case .bits(let bits):
                let visible = bits.enumerated().filter { !$0.element.isReserved }
                if visible.isEmpty {
                    printer.line("writer.writeOctet(0)  // reserved bits")
                    continue
                }
                let name = "bits\(group)"
                group += 1
                printer.line("var \(name): UInt8 = 0")
                for (offset, field) in visible {
                    printer.line("if self.\(SwiftNaming.rawLowerCamel(field.name)) { \(name) |= \(bitMask(offset)) }")
                }
                printer.line("writer.writeOctet(\(name))")
            }
        }
    }

    private static func bitMask(_ offset: Int) -> String {
        "0x" + String(1 << offset, radix: 16, uppercase: true).leftPadded(to: 2)
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
