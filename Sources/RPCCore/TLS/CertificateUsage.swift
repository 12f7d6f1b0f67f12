/// What an issued certificate may authenticate (its extendedKeyUsage).
public enum CertificateUsage: Sendable, Hashable {
    /// A TLS server (serverAuth).
    case server
    /// A TLS client in mutual TLS (clientAuth).
    case client
    /// Either role (serverAuth and clientAuth).
    case serverAndClient

    /// The OpenSSL extendedKeyUsage configuration value.
    var extendedKeyUsage: String {
        switch self {
        case .server: "serverAuth"
        case .client: "clientAuth"
        case .serverAndClient: "serverAuth,clientAuth"
        }
    }
}
