import RPCCore

/// A service account's credentials (PHARMACY_SYSTEM, COURIER): its client certificate and key,
/// presented in mutual TLS, are all it has; the server maps the certificate's subject to the
/// account. Its calls carry no token, so these are not `CallCredentials`: open the channel with
/// `GRPCChannel(target:serviceAccount:)`.
public struct ServiceAccountCredentials: Sendable, Hashable {
    /// The account's certificate (PEM) followed by any intermediates.
    public var certificateChainFile: String
    /// The certificate's private key (PEM); keep it readable by the service alone.
    public var privateKeyFile: String
    /// The CA certificates (PEM) that verify the server; nil uses the system roots.
    public var trustRootsFile: String?
    /// The name the server's certificate must carry; nil checks the target's host.
    public var serverName: String?

    /// The credentials in these files.
    public init(certificateChainFile: String, privateKeyFile: String, trustRootsFile: String? = nil,
                serverName: String? = nil) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        self.trustRootsFile = trustRootsFile
        self.serverName = serverName
    }

    /// TLS verifying the server and presenting the account's certificate.
    public var tls: TLSConfiguration {
        .client(trustRootsFile: trustRootsFile, serverName: serverName, certificateChainFile: certificateChainFile,
                privateKeyFile: privateKeyFile)
    }
}

extension GRPCChannel {
    /// A channel whose calls the service account's client certificate identifies (mTLS), with no
    /// token. Throws INVALID_ARGUMENT when `configuration` carries call credentials, and as
    /// `init(target:tls:configuration:eventLoopGroup:)` does when the files cannot be used.
    public convenience init(target: SocketAddress, serviceAccount: ServiceAccountCredentials,
                            configuration: ChannelConfiguration = .init(), eventLoopGroup: EventLoopGroup? = nil) throws {
        guard configuration.credentials == nil else {
            throw Status(.invalidArgument, "a service account is identified by its client certificate alone: "
                         + "give the channel no call credentials")
        }
        try self.init(target: target, tls: serviceAccount.tls, configuration: configuration,
                      eventLoopGroup: eventLoopGroup)
    }
}
