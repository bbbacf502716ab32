/// A wait that did not end in time: the test fails instead of hanging.
public struct TestTimeout: Error, CustomStringConvertible {
    /// What was awaited.
    public var what: String
    /// How long, in seconds.
    public var seconds: Double

    public init(what: String, seconds: Double) {
        self.what = what
        self.seconds = seconds
    }

    public var description: String { "timed out after \(seconds) s waiting for \(what)" }
}

/// A scenario found something wrong that is not a single expectation.
public struct ScenarioFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A command that could not run or did not succeed.
public struct CommandFailure: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}
