/// A problem in a spec file: where it is (file and line), which element, and what is wrong.
public struct SpecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The spec file's name as given to the generator.
    public var file: String
    /// The 1-based line of the offending element, or 0 when unknown.
    public var line: Int
    /// The offending element, for example `field "queue" of method "queue.declare"`.
    public var element: String
    /// What is wrong, naming the bad value.
    public var message: String

    /// Creates an error for `element` at `file:line`.
    public init(file: String, line: Int, element: String, message: String) {
        self.file = file
        self.line = line
        self.element = element
        self.message = message
    }

    public var description: String {
        "\(file):\(line): error: \(element): \(message)"
    }
}
