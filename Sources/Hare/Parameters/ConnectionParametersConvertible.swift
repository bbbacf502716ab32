/// Anything a connection can be opened with: `ConnectionParameters` itself, or `URLParameters`.
public protocol ConnectionParametersConvertible: Sendable {
    /// The parameters to connect with.
    var connectionParameters: ConnectionParameters { get }
}
