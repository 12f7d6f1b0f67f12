import ClientKit
import Foundation
import Glibc
import RPCCore
import RPCServer
import XCTest

/// Our own server with the probe service, in-process on a loopback port.
final class TestServer: Sendable {
    let server: Server
    let probe: Probe
    /// The literal address it listens on (127.0.0.1 unless asked otherwise).
    let host: String
    let port: Int

    private init(server: Server, probe: Probe, host: String) {
        self.server = server
        self.probe = probe
        self.host = host
        self.port = server.port
    }

    /// Starts a server on `host`:`port` (0: any free port), with its limits adjusted by `limits`,
    /// serving `services` beside the probe service.
    static func start(tls: TLSConfiguration? = nil, host: String = "127.0.0.1", port: Int = 0, probe: Probe = Probe(),
                      services: [any RPCService] = [],
                      limits: (inout ServerLimits) -> Void = { _ in }) async throws -> TestServer {
        var configuration = ServerConfiguration(address: SocketAddress(host: host, port: port), tls: tls,
                                                eventLoopCount: 1)
        configuration.limits.handshakeTimeout = .seconds(5)
        limits(&configuration.limits)
        let server = try Server(configuration: configuration, services: [ProbeService(probe: probe)] + services,
                                log: Logger(component: "clientkit-test-server", minimumLevel: .error))
        try await server.start()
        return TestServer(server: server, probe: probe, host: host)
    }

    /// Where clients reach it.
    var address: SocketAddress { SocketAddress(host: host, port: port) }

    func stop() async {
        await server.shutdown(grace: .seconds(1))
    }

    /// A channel to this server (h2c unless `tls` is given).
    func channel(tls: TLSConfiguration? = nil, _ configure: (inout ChannelConfiguration) -> Void = { _ in }) throws
        -> GRPCChannel {
        var configuration = ChannelConfiguration()
        configure(&configuration)
        return try GRPCChannel(target: address, tls: tls, configuration: configuration)
    }
}

/// A throw-away CA with a server certificate (localhost, 127.0.0.1) and a client certificate
/// (common name `dr-alice`), written to a temporary directory.
final class TestCertificates: Sendable {
    let directory: String
    private let authority: CertificateAuthority

    var caFile: String { directory + "/ca.pem" }
    var serverCertificateFile: String { directory + "/server.pem" }
    var serverKeyFile: String { directory + "/server.key" }
    var clientCertificateFile: String { directory + "/client.pem" }
    var clientKeyFile: String { directory + "/client.key" }

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/clientkit-pki-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { throw POSIXError(.EIO) }
        directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        authority = try CertificateAuthority.create(commonName: "ClientKit Test CA", validityDays: 2)
        let server = try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"],
                                         usage: .server, validityDays: 2)
        let client = try authority.issue(commonName: "dr-alice", organization: "MedExpress Clinicians",
                                         usage: .client, validityDays: 2)
        try CertificateAuthority.writePEM(authority.certificatePEM, to: caFile, mode: 0o644)
        try CertificateAuthority.writePEM(server.certificatePEM, to: serverCertificateFile, mode: 0o644)
        try CertificateAuthority.writePEM(server.privateKeyPEM, to: serverKeyFile, mode: 0o600)
        try CertificateAuthority.writePEM(client.certificatePEM, to: clientCertificateFile, mode: 0o644)
        try CertificateAuthority.writePEM(client.privateKeyPEM, to: clientKeyFile, mode: 0o600)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// A further client certificate (common name `commonName`) and its key, written beside the others.
    func clientIdentity(commonName: String) throws -> (certificateFile: String, keyFile: String) {
        let identity = try authority.issue(commonName: commonName, organization: "MedExpress Services", usage: .client,
                                           validityDays: 2)
        let files = (certificateFile: "\(directory)/\(commonName).pem", keyFile: "\(directory)/\(commonName).key")
        try CertificateAuthority.writePEM(identity.certificatePEM, to: files.certificateFile, mode: 0o644)
        try CertificateAuthority.writePEM(identity.privateKeyPEM, to: files.keyFile, mode: 0o600)
        return files
    }

    func server(clientCertificateMode: ClientCertificateMode = .none) -> TLSConfiguration {
        .server(certificateChainFile: serverCertificateFile, privateKeyFile: serverKeyFile,
                trustRootsFile: clientCertificateMode == .none ? nil : caFile, clientCertificateMode: clientCertificateMode)
    }

    func client(serverName: String?, withIdentity: Bool = false) -> TLSConfiguration {
        .client(trustRootsFile: caFile, serverName: serverName,
                certificateChainFile: withIdentity ? clientCertificateFile : nil,
                privateKeyFile: withIdentity ? clientKeyFile : nil)
    }
}

/// The status a call failed with; fails the test when it did not fail with a Status.
func failureStatus<T>(_ body: () async throws -> T, file: StaticString = #filePath, line: UInt = #line) async -> Status? {
    do {
        _ = try await body()
        XCTFail("the call succeeded; expected a failure", file: file, line: line)
        return nil
    } catch let status as Status {
        return status
    } catch {
        XCTFail("the call failed with \(error), not a Status", file: file, line: line)
        return nil
    }
}
