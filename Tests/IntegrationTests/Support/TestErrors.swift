/// A wait that did not end in time: the test fails instead of hanging.
struct TestTimeout: Error, CustomStringConvertible {
    /// What was awaited.
    var what: String
    /// How long, in seconds.
    var seconds: Double

    var description: String { "timed out after \(seconds) s waiting for \(what)" }
}

/// A scenario found something wrong that is not a single expectation.
struct ScenarioFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A command that could not run or did not succeed.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
}
