/// A certificate a `CertificateAuthority` signed, with its new private key.
public struct IssuedCertificate: Sendable, Hashable {
    /// The certificate in PEM.
    public let certificatePEM: String
    /// The unencrypted PKCS#8 private key in PEM; write it with mode 0600.
    public let privateKeyPEM: String
    /// The SHA-256 digest of the DER certificate, lower-case hex.
    public let sha256Thumbprint: String
    /// The serial number, lower-case hex.
    public let serialNumber: String
}
