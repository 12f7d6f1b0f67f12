/// A unary call's response with the metadata that came with it.
public struct UnaryResponse<Message: ProtoMessage>: Sendable {
    /// The response message.
    public let message: Message
    /// The response headers' metadata.
    public let initialMetadata: Metadata
    /// The trailers' metadata.
    public let trailingMetadata: Metadata
}

/// An outgoing call whose responses arrive as a stream.
public struct ServerStreamingCall<Response: ProtoMessage>: AsyncSequence, Sendable {
    public typealias Element = Response
    let stream: any ClientCallStream

    init(stream: any ClientCallStream) { self.stream = stream }

    /// The response headers' metadata.
    public func initialMetadata() async throws -> Metadata { try await stream.initialMetadata() }
    /// The final status (with trailing metadata), once the stream has ended.
    public func status() async -> Status { await stream.status() }
    /// Cancels the call.
    public func cancel() { stream.cancel() }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let stream: any ClientCallStream

        public mutating func next() async throws -> Response? {
            guard let bytes = try await stream.receive() else {
                let status = await stream.status()
                if status.code != .ok { throw status }
                return nil
            }
            return try Response.decodeResponse(bytes)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(stream: stream) }
}

/// An outgoing call that sends a stream of requests and gets one response.
public struct ClientStreamingCall<Request: ProtoMessage, Response: ProtoMessage>: Sendable {
    let stream: any ClientCallStream
    let compressed: Bool

    /// Sends one request message.
    public func send(_ message: Request) async throws {
        try await stream.send(message.encoded(), compressed: compressed)
    }

    /// Ends the requests and waits for the response.
    public func finish() async throws -> UnaryResponse<Response> {
        try await stream.closeSend()
        return try await receiveSingleResponse(stream)
    }

    /// Cancels the call.
    public func cancel() { stream.cancel() }
}

/// An outgoing call with independent request and response streams.
public struct BidirectionalStreamingCall<Request: ProtoMessage, Response: ProtoMessage>: AsyncSequence, Sendable {
    public typealias Element = Response
    let stream: any ClientCallStream
    let compressed: Bool

    /// Sends one request message.
    public func send(_ message: Request) async throws {
        try await stream.send(message.encoded(), compressed: compressed)
    }

    /// Signals that no more requests follow.
    public func closeSend() async throws { try await stream.closeSend() }
    /// The response headers' metadata.
    public func initialMetadata() async throws -> Metadata { try await stream.initialMetadata() }
    /// The final status (with trailing metadata), once the responses have ended.
    public func status() async -> Status { await stream.status() }
    /// Cancels the call.
    public func cancel() { stream.cancel() }

    public func makeAsyncIterator() -> ServerStreamingCall<Response>.AsyncIterator {
        ServerStreamingCall<Response>.AsyncIterator(stream: stream)
    }
}

extension RPCChannel {
    /// Makes a unary call and returns the response with its metadata.
    public func unary<Request, Response>(_ method: RPCMethod<Request, Response>, _ request: Request,
                                         metadata: Metadata = [:], options: CallOptions = CallOptions())
        async throws -> UnaryResponse<Response> {
        try await withTaskExecutorPreference(preferredExecutor) {
            let stream = try await makeCall(method.descriptor, metadata: metadata, options: options)
            try await stream.send(request.encoded(), compressed: options.compression.map { $0 != .identity } ?? false)
            try await stream.closeSend()
            return try await receiveSingleResponse(stream)
        }
    }

    /// Starts a server-streaming call.
    public func serverStreaming<Request, Response>(_ method: RPCMethod<Request, Response>, _ request: Request,
                                                   metadata: Metadata = [:], options: CallOptions = CallOptions())
        async throws -> ServerStreamingCall<Response> {
        let stream = try await makeCall(method.descriptor, metadata: metadata, options: options)
        try await stream.send(request.encoded(), compressed: options.compression.map { $0 != .identity } ?? false)
        try await stream.closeSend()
        return ServerStreamingCall(stream: stream)
    }

    /// Starts a client-streaming call.
    public func clientStreaming<Request, Response>(_ method: RPCMethod<Request, Response>,
                                                   metadata: Metadata = [:], options: CallOptions = CallOptions())
        async throws -> ClientStreamingCall<Request, Response> {
        let stream = try await makeCall(method.descriptor, metadata: metadata, options: options)
        return ClientStreamingCall(stream: stream, compressed: options.compression.map { $0 != .identity } ?? false)
    }

    /// Starts a bidirectional-streaming call.
    public func bidirectionalStreaming<Request, Response>(_ method: RPCMethod<Request, Response>,
                                                          metadata: Metadata = [:], options: CallOptions = CallOptions())
        async throws -> BidirectionalStreamingCall<Request, Response> {
        let stream = try await makeCall(method.descriptor, metadata: metadata, options: options)
        return BidirectionalStreamingCall(stream: stream, compressed: options.compression.map { $0 != .identity } ?? false)
    }
}

/// Reads exactly one response message and the OK status after it.
func receiveSingleResponse<Response: ProtoMessage>(_ stream: any ClientCallStream) async throws -> UnaryResponse<Response> {
    let initial = try await stream.initialMetadata()
    let first = try await stream.receive()
    let status = await stream.status()
    guard status.code == .ok else { throw status }
    guard let bytes = first else {
        throw Status(.internalError, "protocol violation: the server sent no response message")
    }
    return UnaryResponse(message: try Response.decodeResponse(bytes), initialMetadata: initial,
                         trailingMetadata: status.metadata)
}

extension ProtoMessage {
    /// Decodes a response message; a server that sends undecodable bytes is at fault (INTERNAL).
    static func decodeResponse(_ bytes: [UInt8]) throws(Status) -> Self {
        do {
            return try Self(decoding: bytes)
        } catch {
            throw Status(.internalError, "response is not a valid \(protoMessageName): \(error.reason)")
        }
    }
}
