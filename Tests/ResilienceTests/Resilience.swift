import Testing

/// The parent of the fault suite. It is serialized: its scenarios stop, pause and cut off
/// brokers and must not overlap.
@Suite("Resilience", .serialized)
struct Resilience {}
