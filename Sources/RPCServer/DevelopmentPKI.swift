import Glibc
import RPCCore

/// The development certificate authority and server certificate a data directory starts with,
/// so that `serve` runs with TLS from the first start. Production deployments pass their own
/// certificate files instead.
public struct DevelopmentPKI: Sendable {
    /// `DIR/tls/ca.pem`: the CA clients trust.
    public let caCertificatePath: String
    /// `DIR/tls/ca.key` (mode 0600): the CA key, for issuing staff and service-account certificates.
    public let caKeyPath: String
    /// `DIR/tls/server.pem`.
    public let serverCertificatePath: String
    /// `DIR/tls/server.key` (mode 0600).
    public let serverKeyPath: String

    /// The files' locations under `dataDirectory`.
    public init(dataDirectory: String) {
        let tls = dataDirectory + "/tls"
        caCertificatePath = tls + "/ca.pem"
        caKeyPath = tls + "/ca.key"
        serverCertificatePath = tls + "/server.pem"
        serverKeyPath = tls + "/server.key"
    }

    /// Whether every file exists.
    public var exists: Bool {
        let paths: [String] = [caCertificatePath, caKeyPath, serverCertificatePath, serverKeyPath]
        return paths.allSatisfy { path in access(path, F_OK) == 0 }
    }

    /// Creates the CA and a server certificate for `localhost` and `127.0.0.1` (and `::1`),
    /// made with OpenSSL's API. Does nothing when they exist already.
    public func createIfMissing(log: Logger) throws {
        guard !exists else { return }
        let directory = String(caCertificatePath.dropLast("/ca.pem".count))
        try Self.makeDirectory(String(directory.dropLast("/tls".count)), mode: 0o700)
        try Self.makeDirectory(directory, mode: 0o700)
        let authority = try CertificateAuthority.create(commonName: "MedExpress Development CA", validityDays: 3650)
        let server = try authority.issue(commonName: "localhost", organization: "MedExpress", dnsNames: ["localhost"],
                                         ipAddresses: ["127.0.0.1", "::1"], usage: .server, validityDays: 825)
        try CertificateAuthority.writePEM(authority.privateKeyPEM, to: caKeyPath, mode: 0o600)
        try CertificateAuthority.writePEM(authority.certificatePEM, to: caCertificatePath, mode: 0o644)
        try CertificateAuthority.writePEM(server.privateKeyPEM, to: serverKeyPath, mode: 0o600)
        try CertificateAuthority.writePEM(server.certificatePEM, to: serverCertificatePath, mode: 0o644)
        log.info("created development CA and server certificate", ["directory": directory])
    }

    private static func makeDirectory(_ path: String, mode: mode_t) throws {
        if mkdir(path, mode) != 0 && errno != EEXIST { throw SystemError("mkdir \(path)") }
    }
}
