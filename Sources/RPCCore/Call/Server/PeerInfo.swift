/// What the server knows about the other end of a call's connection.
public struct PeerInfo: Sendable, Hashable {
    /// The remote address, e.g. `127.0.0.1:53412` or `[::1]:53412`.
    public let address: String
    /// Whether the connection is TLS.
    public let isSecure: Bool
    /// The client certificate the TLS layer verified, if the client sent one.
    public let certificate: PeerCertificate?

    public init(address: String, isSecure: Bool, certificate: PeerCertificate?) {
        self.address = address
        self.isSecure = isSecure
        self.certificate = certificate
    }
}

/// A verified X.509 certificate presented by a peer.
public struct PeerCertificate: Sendable, Hashable {
    /// The subject distinguished name in RFC 2253 form, e.g. `CN=alice,O=MedExpress`.
    public let subject: String
    /// The subject common name, if present.
    public let commonName: String?
    /// The DNS names, IP addresses, URIs and emails from the subjectAltName extension.
    public let subjectAlternativeNames: [String]
    /// The SHA-256 digest of the DER certificate, lower-case hex (the RFC 8705 `x5t#S256` input).
    public let sha256Thumbprint: String
    /// The certificate's serial number in hex.
    public let serialNumber: String

    public init(subject: String, commonName: String?, subjectAlternativeNames: [String],
                sha256Thumbprint: String, serialNumber: String) {
        self.subject = subject
        self.commonName = commonName
        self.subjectAlternativeNames = subjectAlternativeNames
        self.sha256Thumbprint = sha256Thumbprint
        self.serialNumber = serialNumber
    }
}
