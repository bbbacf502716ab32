internal import CLibXML2

/// One element of a parsed XML document: its name, attributes, source line and child elements.
///
/// The generator reads the spec through libxml2's tree API once and copies it into this small,
/// immutable Swift tree, so that the rest of the pipeline never touches C pointers.
public struct XMLElement: Sendable, Equatable {
    /// The element's tag name, for example `method`.
    public var name: String
    /// Attributes in document order.
    public var attributes: [(name: String, value: String)]
    /// The 1-based line of the element's start tag in its file.
    public var line: Int
    /// Child elements in document order (text, comments and processing instructions are dropped).
    public var children: [XMLElement]

    /// Creates an element by hand (used by tests and by the parser).
    public init(name: String, attributes: [(name: String, value: String)] = [], line: Int = 0, children: [XMLElement] = []) {
        self.name = name
        self.attributes = attributes
        self.line = line
        self.children = children
    }

    /// The value of the attribute `name`, or nil when the element does not have it.
    public func attribute(_ name: String) -> String? {
        attributes.first { $0.name == name }?.value
    }

    /// The child elements called `name`, in document order.
    public func children(named name: String) -> [XMLElement] {
        children.filter { $0.name == name }
    }

    public static func == (lhs: XMLElement, rhs: XMLElement) -> Bool {
        lhs.name == rhs.name && lhs.line == rhs.line && lhs.children == rhs.children
            && lhs.attributes.map(\.name) == rhs.attributes.map(\.name)
            && lhs.attributes.map(\.value) == rhs.attributes.map(\.value)
    }
}

/// The first error libxml2 reports while parsing (later ones are often consequences of it).
private final class FirstError {
    var line: Int?
    var message = ""
}

/// Reads XML with libxml2 (no network access, no entity expansion) into an `XMLElement` tree.
public enum XMLTreeReader {
    /// Parses the XML in `bytes`; `fileName` is only used in error messages.
    public static func parse(bytes: [UInt8], fileName: String) throws(SpecError) -> XMLElement {
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        guard bytes.count < Int(Int32.max) else {
            throw SpecError(file: fileName, line: 0, element: "document", message: "the file is too large")
        }
        let firstError = FirstError()
        let context = Unmanaged.passRetained(firstError)
        xmlSetStructuredErrorFunc(context.toOpaque()) { userData, error in
            guard let userData, let error else { return }
            let box = Unmanaged<FirstError>.fromOpaque(userData).takeUnretainedValue()
            guard box.line == nil else { return }
            box.line = Int(error.pointee.line)
            box.message = error.pointee.message.map { String(cString: $0) }?.trimmingWhitespace() ?? "unknown parser error"
        }
        let document: xmlDocPtr? = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(buffer.count, 1)) { base in
                xmlReadMemory(base, Int32(buffer.count), fileName, nil, options)
            }
        }
        xmlSetStructuredErrorFunc(nil, nil)
        context.release()
        guard let document else {
            let detail = firstError.line.map { ($0, firstError.message) } ?? lastErrorDescription()
            throw SpecError(file: fileName, line: detail.0, element: "document", message: "not well-formed XML: \(detail.1)")
        }
        defer { xmlFreeDoc(document) }
        guard let root = xmlDocGetRootElement(document) else {
            throw SpecError(file: fileName, line: 0, element: "document", message: "the document has no root element")
        }
        return convert(root)
    }

    private static func convert(_ node: xmlNodePtr) -> XMLElement {
        var attributes: [(name: String, value: String)] = []
        var attribute = node.pointee.properties
        while let current = attribute {
            let name = String(cString: current.pointee.name)
            var value = ""
            if let raw = xmlNodeListGetString(node.pointee.doc, current.pointee.children, 1) {
                value = String(cString: raw)
                hare_xml_free(raw)
            }
            attributes.append((name, value))
            attribute = current.pointee.next
        }
        var children: [XMLElement] = []
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE {
                children.append(convert(current))
            }
            child = current.pointee.next
        }
        return XMLElement(
            name: String(cString: node.pointee.name),
            attributes: attributes,
            line: Int(xmlGetLineNo(node)),
            children: children
        )
    }

    private static func lastErrorDescription() -> (line: Int, message: String) {
        guard let error = xmlGetLastError() else { return (0, "unknown parser error") }
        let message = error.pointee.message.map { String(cString: $0) } ?? "unknown parser error"
        return (Int(error.pointee.line), message.trimmingWhitespace())
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
