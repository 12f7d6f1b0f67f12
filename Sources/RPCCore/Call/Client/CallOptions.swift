/// Per-call settings for a client call.
public struct CallOptions: Sendable {
    /// How long the call may take; sent as `grpc-timeout` and enforced locally.
    public var timeout: Duration?
    /// How request messages are compressed; nil sends them uncompressed.
    public var compression: CompressionAlgorithm?
    /// Whether a failed call may be retried (UNAVAILABLE only), overriding the method's declaration.
    public var retryable: Bool?

    public init(timeout: Duration? = nil, compression: CompressionAlgorithm? = nil, retryable: Bool? = nil) {
        self.timeout = timeout
        self.compression = compression
        self.retryable = retryable
    }
}

/// Message compression algorithms of the gRPC `grpc-encoding` header.
public enum CompressionAlgorithm: String, Sendable, Hashable, CaseIterable {
    case identity
    case gzip
}
