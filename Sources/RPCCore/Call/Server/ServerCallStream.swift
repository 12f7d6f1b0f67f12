/// The transport's side of one incoming call: the request messages in, the response messages out.
public protocol ServerCallStream: Sendable {
    /// The next request message, or nil once the client has finished sending.
    /// Taking a message returns its flow-control credit to the client.
    func receive() async throws -> ReceivedMessage?

    /// Sends one response message, sending the response headers first if they have not gone yet.
    /// `compressed` asks for the negotiated `grpc-encoding` (identity when the client accepts none).
    /// Suspends while the call's outbound queue is full.
    func send(_ message: [UInt8], compressed: Bool) async throws

    /// Sends one response message like `send(_:compressed:)`, letting the transport encode it
    /// straight into its outbound buffer instead of into an array of its own first.
    func send<Message: ProtoMessage>(message: Message, compressed: Bool) async throws
}

extension ServerCallStream {
    public func send<Message: ProtoMessage>(message: Message, compressed: Bool) async throws {
        try await send(message.encoded(), compressed: compressed)
    }
}

/// One request message as it arrived, already decompressed.
public struct ReceivedMessage: Sendable {
    /// The message bytes.
    public let bytes: [UInt8]
    /// Whether the sender set the compressed flag on it.
    public let wasCompressed: Bool

    public init(bytes: [UInt8], wasCompressed: Bool) {
        self.bytes = bytes
        self.wasCompressed = wasCompressed
    }
}
