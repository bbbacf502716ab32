/// Limits of the wire codec, with their defaults.
public enum AMQPLimits {
    /// The frame size both peers must accept, and the limit before connection.tune: 4096 bytes.
    public static let minimumFrameMax = AMQP.Constants.frameMinSize
    /// The largest frame that can exist: a 32-bit payload size plus the 8 bytes around it.
    public static let largestPossibleFrame = Int(UInt32.max) + frameOverhead
    /// Bytes a frame adds around its payload: type (1), channel (2), size (4) and end octet (1).
    public static let frameOverhead = 8
    /// The largest message body accepted by default: 64 MiB.
    public static let defaultMaxBodySize = 64 * 1024 * 1024
    /// The deepest nesting of field tables and arrays: 32 levels.
    public static let maxNestingDepth = FieldTable.maxNestingDepth
    /// The longest short string: 255 bytes of UTF-8.
    public static let maxShortStringLength = 255
}
