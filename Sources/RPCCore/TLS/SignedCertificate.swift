/// A certificate a `CertificateAuthority` signed for a key it never saw (from a certificate
/// signing request); the private key stays with the requester.
public struct SignedCertificate: Sendable, Hashable {
    /// The certificate in PEM.
    public let certificatePEM: String
    /// The SHA-256 digest of the DER certificate, lower-case hex.
    public let sha256Thumbprint: String
    /// The serial number, lower-case hex.
    public let serialNumber: String
}
