/// Socket-read control for the async face's consumers (internal). Call on the connection's loop.
extension SelectConnection {
    /// Pauses (false) or resumes (true) reading from the socket; nothing happens once closed.
    func setSocketReading(_ enabled: Bool) {
        handler?.setReading(enabled)
    }

    /// Tells the heartbeat monitor that the broker's silence is the client's doing (reads are
    /// paused); call at least once per heartbeat interval while paused.
    func socketReadingPausedTick() {
        handler?.readingPausedTick()
    }
}
