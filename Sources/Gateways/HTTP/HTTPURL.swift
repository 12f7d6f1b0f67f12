import RPCCore

/// An absolute `http` or `https` URL split into what a request needs: scheme, host, port and
/// the request target (path and query).
public struct HTTPURL: Sendable, Hashable, CustomStringConvertible {
    /// Whether the connection is TLS (`https`).
    public let isSecure: Bool
    /// The host name or literal address, without brackets.
    public let host: String
    /// The TCP port (443 or 80 unless the URL names one).
    public let port: Int
    /// The path and query, starting with `/`.
    public let target: String

    /// Parses `https://host[:port][/path][?query]` (IPv6 literals in brackets). User info and
    /// fragments are refused; `http` is accepted here and refused for non-loopback hosts by the client.
    public init(parsing text: String) throws(HTTPClientError) {
        let secure: Bool
        let rest: Substring
        if text.hasPrefix("https://") {
            secure = true
            rest = text.dropFirst("https://".count)
        } else if text.hasPrefix("http://") {
            secure = false
            rest = text.dropFirst("http://".count)
        } else {
            throw .invalidURL("\(text.debugDescription) is not an http or https URL")
        }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.hasPrefix("?") { target = "/" + target }
        if target.isEmpty { target = "/" }
        guard !authority.contains("@") else { throw .invalidURL("\(text.debugDescription): user info is not allowed") }
        guard !target.contains("#"), !target.contains(where: { $0 == " " || $0.isNewline }) else {
            throw .invalidURL("\(text.debugDescription): the path has a fragment, space or line break")
        }
        let defaultPort = secure ? 443 : 80
        let host: Substring
        var port = defaultPort
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL("\(text.debugDescription): unclosed [") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let parsed = Int(after.dropFirst()) else {
                    throw .invalidURL("\(text.debugDescription): bad port")
                }
                port = parsed
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let parsed = Int(authority[authority.index(after: colon)...]) else {
                throw .invalidURL("\(text.debugDescription): bad port")
            }
            port = parsed
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw .invalidURL("\(text.debugDescription) has no host") }
        guard (1...65535).contains(port) else { throw .invalidURL("\(text.debugDescription): port out of range") }
        self.isSecure = secure
        self.host = String(host)
        self.port = port
        self.target = target
    }

    /// The URL with `target` as its path and query.
    public func replacingTarget(_ target: String) -> HTTPURL {
        HTTPURL(isSecure: isSecure, host: host, port: port, target: target)
    }

    private init(isSecure: Bool, host: String, port: Int, target: String) {
        self.isSecure = isSecure
        self.host = host
        self.port = port
        self.target = target
    }

    /// Where to connect.
    public var address: SocketAddress { SocketAddress(host: host, port: port) }

    /// The `Host` header value: the port is left out when it is the scheme's default (RFC 9110 §7.2).
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (isSecure ? 443 : 80) ? name : "\(name):\(port)"
    }

    public var description: String { "\(isSecure ? "https" : "http")://\(hostHeader)\(target)" }
}
