/// What one step of a non-blocking TLS handshake came to.
public enum TLSHandshakeResult: Sendable, Equatable {
    /// The handshake finished; application data may flow.
    case complete
    /// Call `handshake()` again when the socket is readable.
    case wantRead
    /// Call `handshake()` again when the socket is writable.
    case wantWrite
    /// The handshake failed, with OpenSSL's explanation; close the socket.
    case failed(String)
}
