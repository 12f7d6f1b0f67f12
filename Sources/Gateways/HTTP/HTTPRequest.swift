/// One HTTP/1.1 request: the client adds `Host`, `Content-Length`, `Connection: close` and
/// `User-Agent` itself.
public struct HTTPRequest: Sendable, Hashable {
    /// The method, upper case ("GET", "POST").
    public var method: String
    /// Where to send it; its host is also the TLS server name.
    public var url: HTTPURL
    /// Fields besides those the client writes itself.
    public var headers: [HTTPHeader]
    /// The content, possibly empty.
    public var body: [UInt8]

    /// A request; `body` is sent with its `Content-Length`.
    public init(method: String, url: HTTPURL, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}
