/// One length-prefixed gRPC message as it came off the wire.
public struct FramedMessage: Sendable, Equatable {
    /// Whether the sender compressed the payload with the call's `grpc-encoding`.
    public let compressed: Bool
    /// The message bytes; still compressed when `compressed` is true.
    public let payload: [UInt8]

    /// The bytes the message took on the wire, its 5-byte prefix included.
    public var wireBytes: Int { payload.count + MessageFramer.prefixBytes }

    /// A message as read, or as about to be framed.
    public init(compressed: Bool, payload: [UInt8]) {
        self.compressed = compressed
        self.payload = payload
    }
}
