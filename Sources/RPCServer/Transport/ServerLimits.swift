import RPCCore

/// Every limit the server enforces, with its default. Exceeding one is a clear error, never a slow death.
public struct ServerLimits: Sendable {
    /// The largest request message accepted, after decompression (RESOURCE_EXHAUSTED beyond, before decoding).
    public var maxReceiveMessageBytes = 4 * 1024 * 1024
    /// The largest response message a handler may send.
    public var maxSendMessageBytes = 4 * 1024 * 1024
    /// Response bytes queued per call before `send` suspends the handler (outbound backpressure).
    public var maxOutboundBytesPerCall = 1024 * 1024
    /// Connections served at once; more are closed as soon as they are accepted.
    public var maxConnections = 10_000
    /// Time for a new connection to finish TLS and the HTTP/2 preface.
    public var handshakeTimeout: Duration = .seconds(10)
    /// Time a connection may stay open with no call in progress before it is sent GOAWAY and closed.
    public var idleTimeout: Duration = .seconds(300)
    /// The HTTP/2 session limits (streams, header list, windows, flood protection).
    public var http2 = HTTP2SessionLimits()

    public init() {}
}
