/// How each wire type is spelled in generated Swift: its type, default, and read/write calls
/// (the calls are the public `ByteBuffer` primitives of the AMQPProtocol module).
enum WireTypeCode {
    static func swiftType(_ type: AMQPType) -> String {
        switch type {
        case .bit: "Bool"
        case .octet: "UInt8"
        case .short: "UInt16"
        case .long: "UInt32"
        case .longlong: "UInt64"
        case .shortstr: "String"
        case .longstr: "ByteBuffer"
        case .timestamp: "AMQPTimestamp"
        case .table: "FieldTable"
        case .content: "ByteBuffer"
        }
    }

    static func defaultValue(_ type: AMQPType) -> String {
        switch type {
        case .bit: "false"
        case .octet, .short, .long, .longlong: "0"
        case .shortstr: "\"\""
        case .longstr: "ByteBuffer()"
        case .timestamp: "AMQPTimestamp(secondsSince1970: 0)"
        case .table: "FieldTable()"
        case .content: "ByteBuffer()"
        }
    }

    /// The primitive's name in `readAMQP<Name>` / `writeAMQP<Name>`.
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

    /// Whether writing a value of this type can fail (a short string over 255 bytes, a bad table).
    static func writeThrows(_ type: AMQPType) -> Bool {
        type == .shortstr || type == .table
    }

    static func readExpression(_ type: AMQPType) -> String {
        "try buffer.readAMQP\(primitive(type))()"
    }

    /// Reads past a reserved field without building or validating its value.
    static func skipStatement(_ type: AMQPType) -> String {
        switch type {
        case .bit, .octet: "_ = try buffer.readAMQPOctet()"
        case .short: "_ = try buffer.readAMQPShort()"
        case .long: "_ = try buffer.readAMQPLong()"
        case .longlong, .timestamp: "_ = try buffer.readAMQPLongLong()"
        case .shortstr: "try buffer.skipAMQPShortString()"
        case .longstr, .table: "try buffer.skipAMQPLongString()"
        case .content: "_ = try buffer.readAMQPOctet(); try buffer.skipAMQPLongString()"
        }
    }

    static func writeStatement(_ type: AMQPType, _ value: String) -> String {
        let call = "buffer.writeAMQP\(primitive(type))(\(value))"
        return writeThrows(type) ? "try " + call : call
    }

    /// Writes the encoding of a reserved field's default without building a value.
    static func writeDefaultStatement(_ type: AMQPType) -> String {
        switch type {
        case .bit, .octet, .shortstr: "buffer.writeAMQPOctet(0)"
        case .short: "buffer.writeAMQPShort(0)"
        case .long, .longstr, .table: "buffer.writeAMQPLong(0)"
        case .content: "buffer.writeAMQPOctet(0); buffer.writeAMQPLong(0)"
        case .longlong, .timestamp: "buffer.writeAMQPLongLong(0)"
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

    /// `init(from:)` body lines that read every field into `self`.
    static func renderDecode(_ fields: [SpecField], into printer: inout CodePrinter) {
        var group = 0
        for item in items(fields) {
            switch item {
            case .field(let field):
                if field.isReserved {
                    printer.line(WireTypeCode.skipStatement(field.type) + "  // \(field.name) (reserved)")
                } else {
                    printer.line("self.\(SwiftNaming.rawLowerCamel(field.name)) = \(WireTypeCode.readExpression(field.type))")
                }
            case .bits(let bits):
                let visible = bits.enumerated().filter { !$0.element.isReserved }
                if visible.isEmpty {
                    printer.line("_ = try buffer.readAMQPOctet()  // reserved bits")
                    continue
                }
                let name = "bits\(group)"
                group += 1
                printer.line("let \(name) = try buffer.readAMQPOctet()")
                for (offset, field) in visible {
                    printer.line("self.\(SwiftNaming.rawLowerCamel(field.name)) = \(name) & \(bitMask(offset)) != 0")
                }
            }
        }
    }

    /// `encode(into:)` body lines that write every field of `self`.
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
                    printer.line("buffer.writeAMQPOctet(0)  // reserved bits")
                    continue
                }
                let name = "bits\(group)"
                group += 1
                printer.line("var \(name): UInt8 = 0")
                for (offset, field) in visible {
                    printer.line("if self.\(SwiftNaming.rawLowerCamel(field.name)) { \(name) |= \(bitMask(offset)) }")
                }
                printer.line("buffer.writeAMQPOctet(\(name))")
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
