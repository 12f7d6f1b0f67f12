/// Why an HTTP exchange did not produce a response.
public enum HTTPClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The URL cannot be used (not http/https, plain http to a non-loopback host, bad port).
    case invalidURL(String)
    /// A configuration value is unusable (an unreadable CA file, a zero limit).
    case invalidConfiguration(String)
    /// The request cannot be sent as given (a line break in a header).
    case invalidRequest(String)
    /// The name did not resolve, or the connection was refused, reset or closed early.
    case connectionFailed(String)
    /// The TLS handshake failed, e.g. the server's certificate did not verify.
    case tlsFailed(String)
    /// A connect, read or write took longer than its limit.
    case timedOut(String)
    /// The response's header block or body exceeded its limit.
    case responseTooLarge(String)
    /// The response is not HTTP/1.1 as RFC 9112 defines it.
    case malformedResponse(String)
    /// Every thread is busy and the queue of waiting requests is full.
    case overloaded(String)
    /// The client was closed and takes no new requests.
    case closed

    /// Whether trying again later may succeed (the network or the server may recover); a
    /// configuration, certificate or protocol failure will not change by retrying.
    public var isTransient: Bool {
        switch self {
        case .connectionFailed, .timedOut, .overloaded: true
        case .invalidURL, .invalidConfiguration, .invalidRequest, .tlsFailed, .responseTooLarge, .malformedResponse, .closed: false
        }
    }

    public var description: String {
        switch self {
        case .invalidURL(let reason): "invalid URL: \(reason)"
        case .invalidConfiguration(let reason): "invalid HTTP client configuration: \(reason)"
        case .invalidRequest(let reason): "invalid request: \(reason)"
        case .connectionFailed(let reason): "connection failed: \(reason)"
        case .tlsFailed(let reason): "TLS failed: \(reason)"
        case .timedOut(let reason): "timed out: \(reason)"
        case .responseTooLarge(let reason): "response too large: \(reason)"
        case .malformedResponse(let reason): "malformed response: \(reason)"
        case .overloaded(let reason): "overloaded: \(reason)"
        case .closed: "the HTTP client is closed"
        }
    }
}
