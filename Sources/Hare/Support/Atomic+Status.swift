import Synchronization

/// A lifecycle status (of a channel, of a connection) that any thread reads and sets without a
/// lock: the checks on every publish cost one atomic load, not a mutex. Unlike a lock, atomics
/// are visible to the thread sanitizer (see `Guarded`). For one-byte values (an enum of `UInt8`
/// raw values that is `AtomicRepresentable`).
extension Atomic where Value: Equatable, Value.AtomicRepresentation == _Atomic8BitStorage {
    /// The value now.
    var current: Value { load(ordering: .acquiring) }

    /// Sets the value.
    func set(_ value: Value) {
        store(value, ordering: .releasing)
    }

    /// Changes the value with `body` in one atomic step and returns what `body` returns. `body`
    /// may run more than once (when another thread changed the value meanwhile), so it must do
    /// nothing but compute.
    func update<Result>(_ body: (inout Value) -> Result) -> Result {
        var expected = load(ordering: .acquiring)
        while true {
            var desired = expected
            let result = body(&desired)
            let (exchanged, original) = compareExchange(expected: expected, desired: desired, ordering: .acquiringAndReleasing)
            if exchanged { return result }
            expected = original
        }
    }
}
