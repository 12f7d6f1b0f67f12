/// How an SMTP connection is protected.
public enum SMTPSecurity: String, Sendable, Hashable, CaseIterable {
    /// Plain TCP upgraded with STARTTLS (RFC 3207) before anything else is said; a server that
    /// does not offer it is refused. The submission port, 587.
    case startTLS = "starttls"
    /// TLS from the first byte (RFC 8314 §3.3). Port 465.
    case implicitTLS = "tls"
    /// No TLS at all: only to a loopback host (a local relay or a test stand-in), never with a password.
    case none

    /// The port servers listen on for this kind of submission.
    public var defaultPort: Int {
        switch self {
        case .startTLS: 587
        case .implicitTLS: 465
        case .none: 25
        }
    }
}
