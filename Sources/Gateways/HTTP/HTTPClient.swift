import Glibc
import RPCCore

/// A small HTTP/1.1 client for calling providers' REST APIs: one request per connection
/// (`Connection: close`), https verified against the configured or system roots with SNI, and
/// plain http only to loopback hosts (stand-ins in tests and development).
///
/// The blocking socket work runs on the client's own threads, never on Swift's cooperative pool;
/// every wait is bounded by the configuration's timeouts.
public final class HTTPClient: Sendable {
    /// The limits and trust roots the client was made with.
    public let configuration: HTTPClientConfiguration
    private let tlsContext: TLSContext
    private let pool: BlockingThreadPool

    /// A client with its threads started; the trust roots are read now, so a bad CA file shows at startup.
    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) throws(HTTPClientError) {
        let limits = [("connectTimeoutMilliseconds", configuration.connectTimeoutMilliseconds),
                      ("readTimeoutMilliseconds", configuration.readTimeoutMilliseconds),
                      ("requestTimeoutMilliseconds", configuration.requestTimeoutMilliseconds),
                      ("maxResponseHeaderBytes", configuration.maxResponseHeaderBytes),
                      ("maxResponseBodyBytes", configuration.maxResponseBodyBytes),
                      ("threadCount", configuration.threadCount),
                      ("maxQueuedRequests", configuration.maxQueuedRequests)]
        for (name, value) in limits where value < 1 {
            throw .invalidConfiguration("\(name) must be at least 1, not \(value)")
        }
        do {
            tlsContext = try TLSContext(configuration: TLSConfiguration(trustRootsFile: configuration.trustRootsFile,
                                                                        applicationProtocols: ["http/1.1"]),
                                        isServer: false)
        } catch {
            throw .invalidConfiguration(error.description)
        }
        // TLS writes with write(2): a server that vanished must not kill the process with SIGPIPE.
        _ = signal(SIGPIPE, SIG_IGN)
        self.configuration = configuration
        self.pool = BlockingThreadPool(name: "http-client", threadCount: configuration.threadCount,
                                       queueCapacity: configuration.maxQueuedRequests)
    }

    /// Sends `request` and returns the complete response, whatever its status code.
    public func send(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        let bytes = try Self.serialize(request, userAgent: configuration.userAgent)
        guard request.url.isSecure || request.url.address.isLoopback else {
            throw .invalidURL("plain http is allowed only to loopback hosts; use https for \(request.url.host)")
        }
        let configuration = configuration
        let tlsContext = tlsContext
        let url = request.url
        let outcome = await pool.run { () -> Result<HTTPResponse, HTTPClientError> in
            do throws(HTTPClientError) {
                return .success(try Self.exchange(bytes, with: url, tlsContext: tlsContext, configuration: configuration))
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let result): return try result.get()
        case .failure(.full(let capacity)): throw .overloaded("\(capacity) requests already wait for a connection")
        case .failure(.closed): throw .closed
        }
    }

    /// Takes no new requests; those in flight finish.
    public func close() { pool.close() }

    /// Runs on a pool thread: connect, send, read the whole response, close.
    private static func exchange(_ request: [UInt8], with url: HTTPURL, tlsContext: TLSContext,
                                 configuration: HTTPClientConfiguration) throws(HTTPClientError) -> HTTPResponse {
        let deadline = HTTPDeadline(afterMilliseconds: configuration.requestTimeoutMilliseconds,
                                    explanation: "the exchange with \(url.address) took over \(configuration.requestTimeoutMilliseconds) ms")
        let connection = try HTTPConnection.open(url, tlsContext: tlsContext, configuration: configuration, exchangeDeadline: deadline)
        try connection.write(request)
        var reader = HTTPResponseReader(source: connection, maxHeaderBytes: configuration.maxResponseHeaderBytes,
                                        maxBodyBytes: configuration.maxResponseBodyBytes)
        return try reader.readResponse()
    }

    /// Header fields the client writes itself; a request may not set them.
    private static let reservedHeaderNames: Set<String> = ["host", "content-length", "connection", "transfer-encoding", "user-agent"]

    /// The request's bytes on the wire (RFC 9112 §3), refusing anything that could split or smuggle.
    static func serialize(_ request: HTTPRequest, userAgent: String) throws(HTTPClientError) -> [UInt8] {
        guard !request.method.isEmpty, request.method.utf8.allSatisfy(isTokenByte) else {
            throw .invalidRequest("bad method \(request.method.debugDescription)")
        }
        var head = "\(request.method) \(request.url.target) HTTP/1.1\r\n"
        head += "Host: \(request.url.hostHeader)\r\n"
        head += "User-Agent: \(userAgent)\r\n"
        head += "Connection: close\r\n"
        if !request.body.isEmpty || request.method == "POST" || request.method == "PUT" {
            head += "Content-Length: \(request.body.count)\r\n"
        }
        for header in request.headers {
            guard !header.name.isEmpty, header.name.utf8.allSatisfy(isTokenByte) else {
                throw .invalidRequest("bad header name \(header.name.debugDescription)")
            }
            guard !reservedHeaderNames.contains(header.name.lowercased()) else {
                throw .invalidRequest("the client sets \(header.name) itself")
            }
            guard !header.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) else {
                throw .invalidRequest("a line break or NUL in the value of \(header.name)")
            }
            head += "\(header.name): \(header.value)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + request.body
    }

    /// RFC 9110 §5.6.2 tchar.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}
