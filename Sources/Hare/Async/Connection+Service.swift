import ServiceLifecycle

/// A `Connection` is a swift-service-lifecycle `Service`: put it in a `ServiceGroup` and it is
/// closed gracefully when the group shuts down.
extension Connection: Service {
    /// Runs until graceful shutdown (or task cancellation), then closes the connection normally
    /// and returns. When the connection ends by itself first, `run()` throws why
    /// (`ConnectionClosedByBroker`, `StreamLostError`, ...), except after an application
    /// `close()`, when it returns.
    public func run() async throws {
        let reason = await cancelWhenGracefulShutdown { await self.closeWatch.wait() }
        if reason is CancellationError {
            if closeWatch.reason == nil {
                select.close()
                _ = await closeWatch.wait(cancellable: false)
            }
            return
        }
        if reason is ConnectionClosedByClient { return }
        throw reason
    }
}
