/// The request messages of a client- or bidirectional-streaming call, decoded as they are taken.
public struct RequestStream<Message: ProtoMessage>: AsyncSequence, Sendable {
    public typealias Element = Message
    private let stream: any ServerCallStream

    public init(_ stream: any ServerCallStream) {
        self.stream = stream
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let stream: any ServerCallStream

        public mutating func next() async throws -> Message? {
            guard let received = try await stream.receive() else { return nil }
            return try Message.decodeRequest(received.bytes)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(stream: stream) }
}

/// Sends the response messages of a server- or bidirectional-streaming call.
public struct ResponseWriter<Message: ProtoMessage>: Sendable {
    private let stream: any ServerCallStream
    private let context: ServerContext

    public init(_ stream: any ServerCallStream, context: ServerContext) {
        self.stream = stream
        self.context = context
    }

    /// Sends one message, compressed if `context.compressResponses` is set; suspends while the
    /// outbound queue is full.
    public func write(_ message: Message) async throws {
        try await stream.send(message: message, compressed: context.compressResponses)
    }
}

extension ProtoMessage {
    /// Decodes a request message. Undecodable input is the client's fault, so it is INVALID_ARGUMENT,
    /// not INTERNAL (kept for the server's own faults).
    static func decodeRequest(_ bytes: [UInt8]) throws(Status) -> Self {
        do {
            return try Self(decoding: bytes)
        } catch {
            throw Status(.invalidArgument, "request is not a valid \(protoMessageName): \(error.reason)")
        }
    }
}
