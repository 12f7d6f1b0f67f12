/// The transport's side of one outgoing call.
public protocol ClientCallStream: Sendable {
    /// Sends one request message; suspends while the outbound queue is full.
    func send(_ message: [UInt8], compressed: Bool) async throws
    /// Signals that no more request messages follow (HTTP/2 END_STREAM).
    func closeSend() async throws
    /// The response headers' metadata, once they arrive. Throws the status of a Trailers-Only response.
    func initialMetadata() async throws -> Metadata
    /// The next response message, or nil after the last one.
    func receive() async throws -> [UInt8]?
    /// The final status with the trailing metadata; waits for the trailers.
    func status() async -> Status
    /// Cancels the call (HTTP/2 RST_STREAM with CANCEL); later operations fail with CANCELLED.
    func cancel()
}

/// Something that starts calls: a connection, a pool, or a channel with interceptors and retries.
public protocol RPCChannel: Sendable {
    /// Starts a call: sends the request headers with the metadata and options.
    func makeCall(_ method: MethodDescriptor, metadata: Metadata, options: CallOptions) async throws -> any ClientCallStream

    /// The executor the channel's connections run on, if it has one: a unary call runs its
    /// awaits there, so its steps do not hop between that thread and the caller's.
    var preferredExecutor: (any TaskExecutor)? { get }
}

extension RPCChannel {
    public var preferredExecutor: (any TaskExecutor)? { nil }
}
