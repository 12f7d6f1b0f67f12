/// What one non-blocking TLS read or write came to.
public enum TLSIOResult: Sendable, Equatable {
    /// This many bytes were read or written (a write may be partial).
    case bytes(Int)
    /// Retry when the socket is readable (a write may need this too).
    case wantRead
    /// Retry when the socket is writable (a read may need this too); retry a write with the same bytes.
    case wantWrite
    /// The peer closed the TLS session (close_notify) or the TCP connection.
    case closed
    /// A fatal error, with OpenSSL's explanation; close the socket.
    case failed(String)
}
