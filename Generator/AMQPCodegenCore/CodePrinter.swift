/// Accumulates indented Swift source, four spaces a level.
public struct CodePrinter {
    private(set) var text = ""
    private var level = 0

    public init() {}

    /// Writes one line at the current indentation (an empty call writes a blank line).
    public mutating func line(_ content: String = "") {
        if content.isEmpty {
            text += "\n"
        } else {
            text += String(repeating: "    ", count: level) + content + "\n"
        }
    }

    /// Writes `opening`, runs `body` one level deeper, then writes `closing`.
    public mutating func block(_ opening: String, closing: String = "}", _ body: (inout CodePrinter) -> Void) {
        line(opening)
        level += 1
        body(&self)
        level -= 1
        line(closing)
    }

    /// Writes a `case` line, then runs `body` one level deeper (inside a `switchBlock`).
    public mutating func caseBlock(_ label: String, _ body: (inout CodePrinter) -> Void) {
        line(label)
        level += 1
        body(&self)
        level -= 1
    }

    /// Writes a `switch` whose `case` lines `body` writes at the switch's own level.
    public mutating func switchBlock(_ opening: String, _ body: (inout CodePrinter) -> Void) {
        line(opening)
        body(&self)
        line("}")
    }

    /// The source written so far.
    public var contents: String { text }
}
