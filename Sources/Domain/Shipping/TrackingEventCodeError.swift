/// A tracking event code the integration does not know (INVALID_ARGUMENT on `event_code`).
public struct TrackingEventCodeError: Error, Hashable, Sendable, CustomStringConvertible {
    public let code: String

    public init(code: String) { self.code = code }

    public var description: String { "unknown Royal Mail tracking event code \"\(code)\"" }
}
