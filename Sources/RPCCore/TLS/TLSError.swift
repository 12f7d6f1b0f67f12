/// Why TLS could not be set up, or a certificate not made.
public enum TLSError: Error, Hashable, CustomStringConvertible {
    /// A configured file does not exist or cannot be read.
    case fileNotReadable(path: String, reason: String)
    /// A certificate file holds no usable PEM certificate.
    case invalidCertificate(path: String, reason: String)
    /// A private key file holds no usable PEM key.
    case invalidPrivateKey(path: String, reason: String)
    /// The private key is not the key of the certificate.
    case privateKeyMismatch(certificatePath: String, privateKeyPath: String)
    /// The trust roots file holds no usable CA certificate.
    case invalidTrustRoots(path: String, reason: String)
    /// The configuration contradicts itself or lacks something the role needs.
    case invalidConfiguration(String)
    /// OpenSSL refused to create a context or connection.
    case openSSLFailure(String)
    /// PEM text given in memory is not a usable certificate or key.
    case invalidPEM(String)
    /// A certificate could not be made or signed.
    case certificateGenerationFailed(String)
    /// A certificate signing request is malformed, not signed by its own key, or asks for a key
    /// the CA does not certify.
    case invalidCertificateRequest(String)
    /// A PEM file could not be written.
    case fileWriteFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotReadable(let path, let reason): "cannot read \(path): \(reason)"
        case .invalidCertificate(let path, let reason): "no usable certificate in \(path): \(reason)"
        case .invalidPrivateKey(let path, let reason): "no usable private key in \(path): \(reason)"
        case .privateKeyMismatch(let certificatePath, let privateKeyPath):
            "the private key in \(privateKeyPath) does not match the certificate in \(certificatePath)"
        case .invalidTrustRoots(let path, let reason): "no usable CA certificates in \(path): \(reason)"
        case .invalidConfiguration(let reason): "invalid TLS configuration: \(reason)"
        case .openSSLFailure(let reason): "OpenSSL failure: \(reason)"
        case .invalidPEM(let reason): "invalid PEM: \(reason)"
        case .certificateGenerationFailed(let reason): "certificate generation failed: \(reason)"
        case .invalidCertificateRequest(let reason): "certificate request refused: \(reason)"
        case .fileWriteFailed(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}
