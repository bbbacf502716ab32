import AMQPProtocol

/// The limits both peers agreed on in connection.tune / tune-ok.
public struct NegotiatedLimits: Hashable, Sendable {
    /// The highest channel number the connection may use.
    public var channelMax: UInt16
    /// The largest frame, in bytes, header and end octet included.
    public var frameMax: UInt32
    /// The heartbeat interval in seconds; 0 means no heartbeats.
    public var heartbeat: UInt16
}

/// Negotiates connection.tune: for channel_max and frame_max the lower non-zero value wins and
/// 0 means "no limit"; a broker frame_max under 4096 is refused.
///
/// The heartbeat follows Pika: with no client value (`nil`) the broker's value is used; a client
/// value of 0 turns heartbeats off; otherwise the lower non-zero value wins. A callback, when
/// given, is asked with the broker's value and its answer is the client value.
enum TuneNegotiation {
    /// Why a tune was refused.
    enum Failure: Error, Equatable {
        case frameMaxTooSmall(UInt32)
    }

    static func negotiate(
        tune: AMQP.Connection.Tune,
        channelMax: UInt16,
        frameMax: UInt32,
        heartbeat: UInt16?,
        heartbeatCallback: (@Sendable (UInt16) -> UInt16)?
    ) -> Result<NegotiatedLimits, Failure> {
        if tune.frameMax != 0 && tune.frameMax < UInt32(AMQPLimits.minimumFrameMax) {
            return .failure(.frameMaxTooSmall(tune.frameMax))
        }
        var channels = lowerNonZero(channelMax, tune.channelMax)
        if channels == 0 { channels = UInt16.max }
        var frame = lowerNonZero(frameMax, tune.frameMax)
        if frame == 0 { frame = UInt32(Int32.max) }
        frame = Swift.max(frame, UInt32(AMQPLimits.minimumFrameMax))
        let clientHeartbeat = heartbeatCallback.map { $0(tune.heartbeat) } ?? heartbeat
        let beat: UInt16
        switch clientHeartbeat {
        case nil: beat = tune.heartbeat
        case 0?: beat = 0
        case let value?: beat = lowerNonZero(value, tune.heartbeat)
        }
        return .success(NegotiatedLimits(channelMax: channels, frameMax: frame, heartbeat: beat))
    }

    static func lowerNonZero<T: FixedWidthInteger>(_ a: T, _ b: T) -> T {
        if a == 0 { return b }
        if b == 0 { return a }
        return Swift.min(a, b)
    }
}
