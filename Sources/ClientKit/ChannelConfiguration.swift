import RPCCore

/// How a `GRPCChannel` connects, what it sends with every call and the limits it holds calls to.
public struct ChannelConfiguration: Sendable {
    /// HTTP/2 connections the channel may open to its target (1...`maxConnections`); calls are
    /// spread over them, a new one opening only when every open one is busy.
    public var connections: Int = 1
    /// The most connections one channel may keep to its target.
    public static let maxConnections = 64
    /// The `:authority` sent with every call; nil uses the TLS server name (or the host) and the port.
    public var authority: String?
    /// How long a connection attempt may take (name, TCP, TLS and the server's HTTP/2 SETTINGS;
    /// past it the attempt is given up and its calls fail with UNAVAILABLE), and how long after a
    /// failed attempt new calls fail at once before the next attempt is made.
    public var connectionBackoff = ConnectionBackoff()
    /// Interval between HTTP/2 PINGs while calls are in progress; nil sends none.
    public var keepaliveInterval: Duration? = .seconds(60)
    /// Time a PING may go unacknowledged before the connection is considered dead.
    public var keepaliveTimeout: Duration = .seconds(20)
    /// The largest response message accepted, after decompression (RESOURCE_EXHAUSTED beyond).
    public var maxReceiveMessageBytes: Int = 4 * 1024 * 1024
    /// The largest request message a call may send (RESOURCE_EXHAUSTED beyond).
    public var maxSendMessageBytes: Int = 4 * 1024 * 1024
    /// Request bytes queued per call before `send` suspends (outbound backpressure).
    public var maxOutboundBytesPerCall: Int = 1024 * 1024
    /// Request bytes a call keeps after sending them so that a call refused by the server
    /// (GOAWAY, REFUSED_STREAM) can be replayed on a new connection; past this the call is not replayed.
    public var maxReplayBytesPerCall: Int = 1024 * 1024
    /// How often one call is replayed after being refused unprocessed.
    public var maxTransparentRetries: Int = 3
    /// Retries of unary calls that failed with a retryable status (UNAVAILABLE by default).
    public var retryPolicy = RetryPolicy()
    /// Per-call credentials (e.g. a bearer token) added to every call's metadata.
    public var credentials: (any CallCredentials)?
    /// Interceptors run for every call, in order.
    public var interceptors: [any ClientInterceptor] = []
    /// The `user-agent` header.
    public var userAgent = "medexpress-clientkit/0.1"
    /// The HTTP/2 session settings (windows, header list size, frame size).
    public var http2 = HTTP2SessionLimits()

    public init() {}
}
