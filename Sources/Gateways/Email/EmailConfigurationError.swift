/// Why an email sender cannot be made from its configuration: shown at startup, not at the first send.
public struct EmailConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong and what to change.
    public let reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String { "invalid email configuration: \(reason)" }
}
