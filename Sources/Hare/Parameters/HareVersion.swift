/// The version of the Hare library.
public enum HareVersion {
    /// The version as text, sent to the broker in the client properties.
    public static let string = "0.1.0"
}
