/// A complete HTTP response: status, header fields and the whole (de-chunked) body.
public struct HTTPResponse: Sendable, Hashable {
    /// The status code (200, 402, 503).
    public let statusCode: Int
    /// The reason phrase after the status code, possibly empty.
    public let reasonPhrase: String
    /// The header fields in the order received.
    public let headers: [HTTPHeader]
    /// The content, de-chunked.
    public let body: [UInt8]

    /// A response as read off the wire.
    public init(statusCode: Int, reasonPhrase: String, headers: [HTTPHeader], body: [UInt8]) {
        self.statusCode = statusCode
        self.reasonPhrase = reasonPhrase
        self.headers = headers
        self.body = body
    }

    /// The value of the first header named `name` (case-insensitive), or nil.
    public func headerValue(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as UTF-8 text (invalid bytes become U+FFFD).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
