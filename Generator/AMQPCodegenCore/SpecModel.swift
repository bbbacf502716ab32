/// The AMQP wire types that a domain finally resolves to.
public enum AMQPType: String, Sendable, CaseIterable {
    case bit, octet, short, long, longlong, shortstr, longstr, timestamp, table
    /// AMQP 0-9 only (`message.transfer`): an octet (0 inline, 1 reference) then a long string.
    case content
}

/// A `<constant>`: a named integer, and for reply codes their error class.
public struct SpecConstant: Sendable, Equatable {
    public var name: String
    public var value: Int
    /// `soft-error` or `hard-error` (normalized from the spec's spelling), or nil.
    public var errorClass: String?
}

/// A `<domain>`: a named alias of a wire type.
public struct SpecDomain: Sendable, Equatable {
    public var name: String
    /// The `type` attribute exactly as written (a wire type or another domain).
    public var declaredType: String
    /// The wire type after resolving domain chains.
    public var type: AMQPType
}

/// A `<field>` of a method (an argument) or of a class (a content property).
public struct SpecField: Sendable, Equatable {
    public var name: String
    /// The `domain` attribute, or nil when the field names a `type` directly.
    public var domain: String?
    /// The wire type after resolving the domain.
    public var type: AMQPType
    /// True for `reserved="1"`: hidden from the API and written with its default.
    public var isReserved: Bool
    public var line: Int
}

/// A `<method>` of a class.
public struct SpecMethod: Sendable, Equatable {
    public var name: String
    public var index: Int
    public var isSynchronous: Bool
    public var hasContent: Bool
    public var isDeprecated: Bool
    /// Names of the methods (in the same class) that answer this one.
    public var responses: [String]
    public var fields: [SpecField]
    public var line: Int
}

/// A `<class>`: its methods and, for content classes, its properties.
public struct SpecClass: Sendable, Equatable {
    public var name: String
    public var index: Int
    /// Content header properties (the class's own `<field>` children), in flag order.
    public var properties: [SpecField]
    public var methods: [SpecMethod]
    public var line: Int
}

/// A whole protocol spec as read from one XML file.
public struct Spec: Sendable, Equatable {
    public var major: Int
    public var minor: Int
    public var revision: Int
    public var port: Int
    public var constants: [SpecConstant]
    public var domains: [SpecDomain]
    public var classes: [SpecClass]

    /// The class called `name`, if any.
    public func specClass(named name: String) -> SpecClass? {
        classes.first { $0.name == name }
    }
}
