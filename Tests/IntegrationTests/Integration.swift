import Testing
import HareTestSupport

/// The parent of every test that talks to a real RabbitMQ. It is serialized: some tests disturb
/// the broker (a memory alarm, a paused broker) and must not overlap with the others.
@Suite("Integration", .serialized)
struct Integration {}
