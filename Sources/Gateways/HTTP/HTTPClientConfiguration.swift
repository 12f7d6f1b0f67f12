/// Limits and trust for an `HTTPClient`. Every wait and every buffer has a named bound.
public struct HTTPClientConfiguration: Sendable, Hashable {
    /// PEM CA certificates that verify servers; nil uses the system trust roots.
    public var trustRootsFile: String?
    /// Longest time for the TCP connect and the TLS handshake together.
    public var connectTimeoutMilliseconds: Int
    /// Longest wait for the server to accept or send any byte once connected.
    public var readTimeoutMilliseconds: Int
    /// Longest time for a whole exchange, connect to last body byte, however the server trickles.
    public var requestTimeoutMilliseconds: Int
    /// Most bytes in a response's status line and header fields.
    public var maxResponseHeaderBytes: Int
    /// Most bytes in a response body (after de-chunking).
    public var maxResponseBodyBytes: Int
    /// Dedicated threads doing blocking I/O: the most exchanges in flight at once.
    public var threadCount: Int
    /// Most requests waiting for a thread; past it a request fails at once as overloaded.
    public var maxQueuedRequests: Int
    /// The `User-Agent` header sent.
    public var userAgent: String

    /// Limits fit for a provider's REST API: seconds to connect, tens of seconds to answer, small bodies.
    public init(trustRootsFile: String? = nil, connectTimeoutMilliseconds: Int = 5_000,
                readTimeoutMilliseconds: Int = 30_000, requestTimeoutMilliseconds: Int = 60_000,
                maxResponseHeaderBytes: Int = 16 * 1024, maxResponseBodyBytes: Int = 1024 * 1024,
                threadCount: Int = 4, maxQueuedRequests: Int = 64, userAgent: String = "MedExpress/1") {
        self.trustRootsFile = trustRootsFile
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.readTimeoutMilliseconds = readTimeoutMilliseconds
        self.requestTimeoutMilliseconds = requestTimeoutMilliseconds
        self.maxResponseHeaderBytes = maxResponseHeaderBytes
        self.maxResponseBodyBytes = maxResponseBodyBytes
        self.threadCount = threadCount
        self.maxQueuedRequests = maxQueuedRequests
        self.userAgent = userAgent
    }
}
