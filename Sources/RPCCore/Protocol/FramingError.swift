/// A violation of gRPC's length-prefixed message framing.
public enum FramingError: Error, Equatable, CustomStringConvertible {
    /// A message's prefix declared more bytes than the receiver accepts
    /// (maps to `RESOURCE_EXHAUSTED`).
    case messageTooLarge(declared: Int, limit: Int)
    /// The compressed-flag byte was neither 0 nor 1 (maps to `INTERNAL`).
    case invalidCompressionFlag(UInt8)
    /// The stream ended inside a message (maps to `INTERNAL`).
    case truncated

    public var description: String {
        switch self {
        case .messageTooLarge(let declared, let limit):
            "message of \(declared) bytes is larger than the limit of \(limit) bytes"
        case .invalidCompressionFlag(let flag):
            "invalid compressed-flag byte \(flag) in a message prefix (expected 0 or 1)"
        case .truncated:
            "the stream ended inside a message"
        }
    }
}
