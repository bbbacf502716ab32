/// Turns the XML tree of an AMQP 0-8 / 0-9 / 0-9-1 spec into a validated `Spec`.
///
/// Elements the generator has no use for (`doc`, `rule`, `chassis`, `assert`, `see`, ...)
/// are skipped. Every problem it finds is a `SpecError` naming the file, line and element.
public struct SpecParser {
    /// The file name used in error messages.
    public var fileName: String

    /// Creates a parser whose errors name `fileName`.
    public init(fileName: String) {
        self.fileName = fileName
    }

    /// Reads and validates the spec in `bytes`.
    public func parse(bytes: [UInt8]) throws(SpecError) -> Spec {
        try parse(root: XMLTreeReader.parse(bytes: bytes, fileName: fileName))
    }

    /// Validates an already parsed XML tree.
    public func parse(root: XMLElement) throws(SpecError) -> Spec {
        guard root.name == "amqp" else {
            throw error(root, "<\(root.name)>", "the root element must be <amqp>, found <\(root.name)>")
        }
        let major = try integer(root, "major", in: "<amqp>")
        let minor = try integer(root, "minor", in: "<amqp>")
        let revision = try optionalInteger(root, "revision", in: "<amqp>") ?? 0
        let port = try optionalInteger(root, "port", in: "<amqp>") ?? 5672

        var constants: [SpecConstant] = []
        for element in root.children(named: "constant") {
            let name = try required(element, "name", in: "<constant>")
            let what = "constant \"\(name)\""
            let value = try integer(element, "value", in: what)
            let errorClass = element.attribute("class").map { $0.replacingSpaces() }
            if constants.contains(where: { $0.name == name }) {
                throw error(element, what, "duplicate constant name \"\(name)\"")
            }
            constants.append(SpecConstant(name: name, value: value, errorClass: errorClass))
        }

        let domains = try parseDomains(root.children(named: "domain"))

        var classes: [SpecClass] = []
        for element in root.children(named: "class") {
            let specClass = try parseClass(element, domains: domains)
            if let other = classes.first(where: { $0.index == specClass.index }) {
                throw error(element, "class \"\(specClass.name)\"", "duplicate class index \(specClass.index) (also used by class \"\(other.name)\")")
            }
            if classes.contains(where: { $0.name == specClass.name }) {
                throw error(element, "class \"\(specClass.name)\"", "duplicate class name \"\(specClass.name)\"")
            }
            classes.append(specClass)
        }
        return Spec(major: major, minor: minor, revision: revision, port: port, constants: constants, domains: domains, classes: classes)
    }

    // MARK: - Domains

    private func parseDomains(_ elements: [XMLElement]) throws(SpecError) -> [SpecDomain] {
        var declared: [(element: XMLElement, name: String, type: String)] = []
        for element in elements {
            let name = try required(element, "name", in: "<domain>")
            let type = try required(element, "type", in: "domain \"\(name)\"")
            if declared.contains(where: { $0.name == name }) {
                throw error(element, "domain \"\(name)\"", "duplicate domain name \"\(name)\"")
            }
            declared.append((element, name, type))
        }
        var domains: [SpecDomain] = []
        for entry in declared {
            var seen: Set<String> = [entry.name]
            var type = entry.type
            while AMQPType(rawValue: type) == nil {
                guard let next = declared.first(where: { $0.name.replacingSpaces() == type.replacingSpaces() }) else {
                    throw error(entry.element, "domain \"\(entry.name)\"", "unknown type \"\(type)\"")
                }
                guard seen.insert(next.name).inserted else {
                    throw error(entry.element, "domain \"\(entry.name)\"", "domain chain loops through \"\(next.name)\"")
                }
                type = next.type
            }
            domains.append(SpecDomain(name: entry.name, declaredType: entry.type, type: AMQPType(rawValue: type)!))
        }
        return domains
    }

    // MARK: - Classes, methods, fields

    private func parseClass(_ element: XMLElement, domains: [SpecDomain]) throws(SpecError) -> SpecClass {
        let name = try required(element, "name", in: "<class>")
        let what = "class \"\(name)\""
        let index = try integer(element, "index", in: what, range: 0...0xFFFF)
        var properties: [SpecField] = []
        for child in element.children(named: "field") {
            let field = try parseField(child, owner: what, domains: domains)
            if properties.contains(where: { $0.name == field.name }) {
                throw error(child, "property \"\(field.name)\" of \(what)", "duplicate property name \"\(field.name)\"")
            }
            properties.append(field)
        }
        // The generated properties keep which ones are present in one 64-bit word.
        if properties.count > 64 {
            throw error(element, what, "\(properties.count) properties; at most 64 are supported")
        }
        var methods: [SpecMethod] = []
        for child in element.children(named: "method") {
            let method = try parseMethod(child, className: name, domains: domains)
            if let other = methods.first(where: { $0.index == method.index }) {
                throw error(child, "method \"\(name).\(method.name)\"", "duplicate method index \(method.index) (also used by \"\(name).\(other.name)\")")
            }
            if methods.contains(where: { $0.name == method.name }) {
                throw error(child, "method \"\(name).\(method.name)\"", "duplicate method name \"\(method.name)\"")
            }
            methods.append(method)
        }
        for (method, child) in zip(methods, element.children(named: "method")) {
            for response in method.responses where !methods.contains(where: { $0.name == response }) {
                throw error(child, "method \"\(name).\(method.name)\"", "response names unknown method \"\(response)\"")
            }
        }
        return SpecClass(name: name, index: index, properties: properties, methods: methods, line: element.line)
    }

    private func parseMethod(_ element: XMLElement, className: String, domains: [SpecDomain]) throws(SpecError) -> SpecMethod {
        let name = try required(element, "name", in: "<method> of class \"\(className)\"")
        let what = "method \"\(className).\(name)\""
        let index = try integer(element, "index", in: what, range: 0...0xFFFF)
        var responses: [String] = []
        for child in element.children(named: "response") {
            responses.append(try required(child, "name", in: "<response> of \(what)"))
        }
        var fields: [SpecField] = []
        for child in element.children(named: "field") {
            let field = try parseField(child, owner: what, domains: domains)
            if fields.contains(where: { $0.name == field.name }) {
                throw error(child, "field \"\(field.name)\" of \(what)", "duplicate field name \"\(field.name)\"")
            }
            fields.append(field)
        }
        return SpecMethod(
            name: name,
            index: index,
            isSynchronous: try flag(element, "synchronous", in: what),
            hasContent: try flag(element, "content", in: what),
            isDeprecated: try flag(element, "deprecated", in: what),
            responses: responses,
            fields: fields,
            line: element.line
        )
    }

    private func parseField(_ element: XMLElement, owner: String, domains: [SpecDomain]) throws(SpecError) -> SpecField {
        let name = try required(element, "name", in: "<field> of \(owner)")
        let what = "field \"\(name)\" of \(owner)"
        let reserved = try flag(element, "reserved", in: what)
        if let domainName = element.attribute("domain") {
            if let domain = domains.first(where: { $0.name.replacingSpaces() == domainName.replacingSpaces() }) {
                return SpecField(name: name, domain: domainName, type: domain.type, isReserved: reserved, line: element.line)
            }
            if let type = AMQPType(rawValue: domainName) {
                return SpecField(name: name, domain: domainName, type: type, isReserved: reserved, line: element.line)
            }
            throw error(element, what, "unknown domain \"\(domainName)\"")
        }
        if let typeName = element.attribute("type") {
            if let type = AMQPType(rawValue: typeName) {
                return SpecField(name: name, domain: nil, type: type, isReserved: reserved, line: element.line)
            }
            if let domain = domains.first(where: { $0.name.replacingSpaces() == typeName.replacingSpaces() }) {
                return SpecField(name: name, domain: nil, type: domain.type, isReserved: reserved, line: element.line)
            }
            throw error(element, what, "unknown type \"\(typeName)\"")
        }
        throw error(element, what, "missing attribute \"domain\" or \"type\"")
    }

    // MARK: - Attribute helpers

    private func error(_ element: XMLElement, _ what: String, _ message: String) -> SpecError {
        SpecError(file: fileName, line: element.line, element: what, message: message)
    }

    private func required(_ element: XMLElement, _ name: String, in what: String) throws(SpecError) -> String {
        guard let value = element.attribute(name) else {
            throw error(element, what, "missing attribute \"\(name)\"")
        }
        guard !value.trimmingWhitespace().isEmpty else {
            throw error(element, what, "attribute \"\(name)\" is empty")
        }
        return value
    }

    private func integer(_ element: XMLElement, _ name: String, in what: String, range: ClosedRange<Int> = Int.min...Int.max) throws(SpecError) -> Int {
        let text = try required(element, name, in: what)
        guard let value = parseInteger(text), range.contains(value) else {
            throw error(element, what, "attribute \"\(name)\" has bad value \"\(text)\" (expected an integer in \(range.lowerBound)...\(range.upperBound))")
        }
        return value
    }

    private func optionalInteger(_ element: XMLElement, _ name: String, in what: String) throws(SpecError) -> Int? {
        guard element.attribute(name) != nil else { return nil }
        return try integer(element, name, in: what)
    }

    private func flag(_ element: XMLElement, _ name: String, in what: String) throws(SpecError) -> Bool {
        switch element.attribute(name) {
        case nil, "0": return false
        case "1": return true
        case let other?: throw error(element, what, "attribute \"\(name)\" has bad value \"\(other)\" (expected 0 or 1)")
        }
    }

    private func parseInteger(_ text: String) -> Int? {
        let trimmed = text.trimmingWhitespace()
        if trimmed.hasPrefix("0x") || trimmed.hasPrefix("0X") {
            return Int(trimmed.dropFirst(2), radix: 16)
        }
        return Int(trimmed)
    }
}

extension String {
    /// `soft error` (0-8) and `soft-error` (0-9) name the same thing.
    func replacingSpaces() -> String {
        String(map { $0 == " " ? "-" : $0 })
    }
}
