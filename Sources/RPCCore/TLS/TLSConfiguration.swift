/// How one side of a TLS connection authenticates itself and its peer. Files are PEM.
///
/// Both sides offer only TLS 1.2 and 1.3 and negotiate ALPN `h2`: a server refuses clients that
/// do not offer it, and a client should check `TLSConnection.negotiatedProtocol` after the handshake.
public struct TLSConfiguration: Sendable, Hashable {
    /// Our certificate followed by any intermediates (required for a server, optional for a client).
    public var certificateChainFile: String?
    /// The private key of our certificate.
    public var privateKeyFile: String?
    /// The CA certificates that verify the peer. A client without one uses the system roots;
    /// a server needs one to verify client certificates.
    public var trustRootsFile: String?
    /// Server side: whether to ask for client certificates.
    public var clientCertificateMode: ClientCertificateMode
    /// Client side: the name sent in SNI and checked against the server certificate's SANs
    /// (an IP address is checked against IP SANs and not sent in SNI). When nil, only the chain
    /// is verified, so set it outside tests.
    public var serverName: String?
    /// The oldest protocol version accepted.
    public var minimumVersion: TLSVersion
    /// The newest protocol version offered; nil means the newest supported (TLS 1.3).
    public var maximumVersion: TLSVersion?
    /// ALPN protocols in preference order. gRPC needs `h2`; change it only to test refusals
    /// (an empty list makes a client offer no ALPN).
    public var applicationProtocols: [String]

    /// A configuration with every field given.
    public init(certificateChainFile: String? = nil, privateKeyFile: String? = nil, trustRootsFile: String? = nil,
                clientCertificateMode: ClientCertificateMode = .none, serverName: String? = nil,
                minimumVersion: TLSVersion = .tls12, maximumVersion: TLSVersion? = nil,
                applicationProtocols: [String] = ["h2"]) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        self.trustRootsFile = trustRootsFile
        self.clientCertificateMode = clientCertificateMode
        self.serverName = serverName
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
        self.applicationProtocols = applicationProtocols
    }

    /// A server presenting a certificate chain, optionally verifying client certificates
    /// against `trustRootsFile`.
    public static func server(certificateChainFile: String, privateKeyFile: String, trustRootsFile: String? = nil,
                              clientCertificateMode: ClientCertificateMode = .none) -> TLSConfiguration {
        TLSConfiguration(certificateChainFile: certificateChainFile, privateKeyFile: privateKeyFile,
                         trustRootsFile: trustRootsFile, clientCertificateMode: clientCertificateMode)
    }

    /// A client verifying the server against `trustRootsFile` (or the system roots) and
    /// `serverName`, optionally presenting its own certificate.
    public static func client(trustRootsFile: String? = nil, serverName: String? = nil,
                              certificateChainFile: String? = nil, privateKeyFile: String? = nil) -> TLSConfiguration {
        TLSConfiguration(certificateChainFile: certificateChainFile, privateKeyFile: privateKeyFile,
                         trustRootsFile: trustRootsFile, serverName: serverName)
    }
}
