/// Whether a TLS server asks clients for a certificate (mutual TLS).
public enum ClientCertificateMode: Sendable, Hashable {
    /// No client certificate is requested.
    case none
    /// A certificate is requested; a client may send none, but one it sends must verify.
    case optional
    /// The handshake fails unless the client sends a certificate that verifies.
    case required
}
