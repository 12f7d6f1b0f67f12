import Foundation
import Glibc
import XCTest
@testable import RPCCore

/// A development CA with server and client certificates written to a temporary directory.
final class TestPKI {
    let directory: String
    let authority: CertificateAuthority
    let server: IssuedCertificate
    let client: IssuedCertificate

    var caFile: String { directory + "/ca.pem" }
    var serverCertificateFile: String { directory + "/server.pem" }
    var serverKeyFile: String { directory + "/server.key" }
    var clientCertificateFile: String { directory + "/client.pem" }
    var clientKeyFile: String { directory + "/client.key" }

    init(caName: String = "MedExpress Test CA") throws {
        var template = Array((NSTemporaryDirectory() + "/medexpress-pki-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { throw POSIXError(.EIO) }
        directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        authority = try CertificateAuthority.create(commonName: caName, validityDays: 30)
        server = try authority.issue(commonName: "pharmacy.test", organization: "MedExpress",
                                     dnsNames: ["pharmacy.test", "localhost"], ipAddresses: ["127.0.0.1", "::1"],
                                     usage: .server, validityDays: 30)
        client = try authority.issue(commonName: "dr-alice", organization: "MedExpress Clinicians",
                                     dnsNames: [], ipAddresses: [], usage: .client, validityDays: 30)
        try CertificateAuthority.writePEM(authority.certificatePEM, to: caFile, mode: 0o644)
        try CertificateAuthority.writePEM(server.certificatePEM, to: serverCertificateFile, mode: 0o644)
        try CertificateAuthority.writePEM(server.privateKeyPEM, to: serverKeyFile, mode: 0o600)
        try CertificateAuthority.writePEM(client.certificatePEM, to: clientCertificateFile, mode: 0o644)
        try CertificateAuthority.writePEM(client.privateKeyPEM, to: clientKeyFile, mode: 0o600)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func serverConfiguration(clientCertificateMode: ClientCertificateMode = .none) -> TLSConfiguration {
        .server(certificateChainFile: serverCertificateFile, privateKeyFile: serverKeyFile,
                trustRootsFile: clientCertificateMode == .none ? nil : caFile,
                clientCertificateMode: clientCertificateMode)
    }

    func clientConfiguration(serverName: String? = "pharmacy.test", withCertificate: Bool = false) -> TLSConfiguration {
        .client(trustRootsFile: caFile, serverName: serverName,
                certificateChainFile: withCertificate ? clientCertificateFile : nil,
                privateKeyFile: withCertificate ? clientKeyFile : nil)
    }
}

/// Two TLS endpoints over a non-blocking socketpair, driven by hand in one thread.
final class TLSPair {
    let server: TLSConnection
    let client: TLSConnection
    private let descriptors: [Int32]

    init(server serverConfiguration: TLSConfiguration, client clientConfiguration: TLSConfiguration,
         serverName: String? = nil) throws {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { throw POSIXError(.EIO) }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        descriptors = fds
        server = try TLSConnection(context: TLSContext(configuration: serverConfiguration, isServer: true),
                                   fileDescriptor: fds[0], isServer: true, serverName: nil)
        client = try TLSConnection(context: TLSContext(configuration: clientConfiguration, isServer: false),
                                   fileDescriptor: fds[1], isServer: false, serverName: serverName)
    }

    deinit { for fd in descriptors { close(fd) } }

    /// Steps both handshakes until each completes or fails (or nothing moves any more).
    func handshake() -> (server: TLSHandshakeResult, client: TLSHandshakeResult) {
        var serverResult = TLSHandshakeResult.wantRead
        var clientResult = TLSHandshakeResult.wantWrite
        func finished(_ result: TLSHandshakeResult) -> Bool {
            if case .complete = result { return true }
            if case .failed = result { return true }
            return false
        }
        for _ in 0 ..< 100 where !(finished(serverResult) && finished(clientResult)) {
            if !finished(clientResult) { clientResult = client.handshake() }
            if !finished(serverResult) { serverResult = server.handshake() }
        }
        return (serverResult, clientResult)
    }

    /// Sends `bytes` from one side to the other, interleaving partial writes and reads.
    func transfer(_ bytes: [UInt8], from sender: TLSConnection, to receiver: TLSConnection) throws -> [UInt8] {
        var sent = 0
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var idleRounds = 0
        while received.count < bytes.count {
            var progressed = false
            if sent < bytes.count {
                let result = bytes[sent...].withUnsafeBytes { sender.write($0) }
                switch result {
                case .bytes(let count): sent += count; progressed = true
                case .wantRead, .wantWrite: break
                case .closed, .failed: XCTFail("write: \(result)"); return received
                }
            }
            while true {
                let result = buffer.withUnsafeMutableBytes { receiver.read(into: $0) }
                guard case .bytes(let count) = result else {
                    if case .failed = result { XCTFail("read: \(result)"); return received }
                    break
                }
                received += buffer[..<count]
                progressed = true
            }
            idleRounds = progressed ? 0 : idleRounds + 1
            if idleRounds > 100 { XCTFail("transfer stalled at \(received.count) of \(bytes.count)"); break }
        }
        return received
    }

    /// Reads once from `connection`, skipping `wantRead` a few times (e.g. session tickets).
    func readResult(_ connection: TLSConnection) -> TLSIOResult {
        var buffer = [UInt8](repeating: 0, count: 1024)
        var result = TLSIOResult.wantRead
        for _ in 0 ..< 10 {
            result = buffer.withUnsafeMutableBytes { connection.read(into: $0) }
            if result != .wantRead { break }
        }
        return result
    }
}

final class TLSTests: XCTestCase {
    private var pki: TestPKI!

    override func setUpWithError() throws {
        // OpenSSL writes sockets with write(2): a closed peer must not kill the test process.
        signal(SIGPIPE, SIG_IGN)
        pki = try TestPKI()
    }

    override func tearDown() { pki = nil }

    func testHandshakeNegotiatesTLS13AndH2ByDefault() throws {
        let pair = try TLSPair(server: pki.serverConfiguration(), client: pki.clientConfiguration())
        let (server, client) = pair.handshake()
        XCTAssertEqual(server, .complete)
        XCTAssertEqual(client, .complete)
        XCTAssertEqual(pair.server.protocolVersion, "TLSv1.3")
        XCTAssertEqual(pair.client.protocolVersion, "TLSv1.3")
        XCTAssertEqual(pair.server.negotiatedProtocol, "h2")
        XCTAssertEqual(pair.client.negotiatedProtocol, "h2")
        XCTAssertNil(pair.server.peerCertificate, "no client certificate was requested")
        let serverCertificate = try XCTUnwrap(pair.client.peerCertificate)
        XCTAssertEqual(serverCertificate.commonName, "pharmacy.test")
        XCTAssertEqual(serverCertificate.sha256Thumbprint, pki.server.sha256Thumbprint)
    }

    func testClientCanCapTheVersionAtTLS12() throws {
        var client = pki.clientConfiguration()
        client.maximumVersion = .tls12
        let pair = try TLSPair(server: pki.serverConfiguration(), client: client)
        let (server, clientResult) = pair.handshake()
        XCTAssertEqual(server, .complete)
        XCTAssertEqual(clientResult, .complete)
        XCTAssertEqual(pair.server.protocolVersion, "TLSv1.2")
        XCTAssertEqual(pair.client.negotiatedProtocol, "h2")
        XCTAssertEqual(try pair.transfer(Array("over TLS 1.2".utf8), from: pair.client, to: pair.server),
                       Array("over TLS 1.2".utf8))
    }

    func testServerRefusesTLS12WhenItRequiresTLS13() throws {
        var server = pki.serverConfiguration()
        server.minimumVersion = .tls13
        var client = pki.clientConfiguration()
        client.maximumVersion = .tls12
        let (serverResult, clientResult) = try TLSPair(server: server, client: client).handshake()
        assertFailed(serverResult, containing: "unsupported protocol")
        assertFailed(clientResult, containing: "")
    }

    func testClientOfferingOnlyHTTP11IsRefused() throws {
        var client = pki.clientConfiguration()
        client.applicationProtocols = ["http/1.1"]
        let (server, clientResult) = try TLSPair(server: pki.serverConfiguration(), client: client).handshake()
        assertFailed(server, containing: "no application protocol")
        assertFailed(clientResult, containing: "no application protocol")
    }

    func testClientOfferingNoALPNIsRefused() throws {
        var client = pki.clientConfiguration()
        client.applicationProtocols = []
        let (server, clientResult) = try TLSPair(server: pki.serverConfiguration(), client: client).handshake()
        assertFailed(server, containing: "no ALPN")
        assertFailed(clientResult, containing: "no application protocol")
    }

    func testServerPicksH2AmongSeveralOffers() throws {
        var client = pki.clientConfiguration()
        client.applicationProtocols = ["http/1.1", "h2"]
        let pair = try TLSPair(server: pki.serverConfiguration(), client: client)
        XCTAssertEqual(pair.handshake().client, .complete)
        XCTAssertEqual(pair.client.negotiatedProtocol, "h2")
    }

    func testServerIgnoresAClientCertificateItDidNotAskFor() throws {
        let pair = try TLSPair(server: pki.serverConfiguration(clientCertificateMode: .none),
                               client: pki.clientConfiguration(withCertificate: true))
        let (server, client) = pair.handshake()
        XCTAssertEqual(server, .complete)
        XCTAssertEqual(client, .complete)
        XCTAssertNil(pair.server.peerCertificate)
    }

    func testOptionalClientCertificateMayBeOmitted() throws {
        let pair = try TLSPair(server: pki.serverConfiguration(clientCertificateMode: .optional),
                               client: pki.clientConfiguration(withCertificate: false))
        let (server, client) = pair.handshake()
        XCTAssertEqual(server, .complete)
        XCTAssertEqual(client, .complete)
        XCTAssertNil(pair.server.peerCertificate)
    }

    func testOptionalClientCertificateIsVerifiedAndReported() throws {
        let pair = try TLSPair(server: pki.serverConfiguration(clientCertificateMode: .optional),
                               client: pki.clientConfiguration(withCertificate: true))
        XCTAssertEqual(pair.handshake().server, .complete)
        try assertIsClientCertificate(pair.server.peerCertificate)
    }

    func testRequiredClientCertificateIsVerifiedAndReported() throws {
        let pair = try TLSPair(server: pki.serverConfiguration(clientCertificateMode: .required),
                               client: pki.clientConfiguration(withCertificate: true))
        let (server, client) = pair.handshake()
        XCTAssertEqual(server, .complete)
        XCTAssertEqual(client, .complete)
        try assertIsClientCertificate(pair.server.peerCertificate)
        XCTAssertEqual(try pair.transfer(Array("prescription".utf8), from: pair.client, to: pair.server),
                       Array("prescription".utf8))
    }

    func testRequiredClientCertificateMissingFailsTheHandshake() throws {
        let pair = try TLSPair(server: pki.serverConfiguration(clientCertificateMode: .required),
                               client: pki.clientConfiguration(withCertificate: false))
        let (server, client) = pair.handshake()
        assertFailed(server, containing: "certificate")
        // In TLS 1.3 the client finishes first and learns of the refusal on its next read.
        if client == .complete {
            guard case .failed(let message) = pair.readResult(pair.client) else {
                return XCTFail("the client should see the server's alert")
            }
            XCTAssertTrue(message.contains("certificate required"), message)
        } else {
            assertFailed(client, containing: "")
        }
    }

    func testClientCertificateFromAnotherCAIsRefused() throws {
        let stranger = try TestPKI(caName: "Stranger CA")
        let client = TLSConfiguration.client(trustRootsFile: pki.caFile, serverName: "pharmacy.test",
                                             certificateChainFile: stranger.clientCertificateFile,
                                             privateKeyFile: stranger.clientKeyFile)
        let pair = try TLSPair(server: pki.serverConfiguration(clientCertificateMode: .optional), client: client)
        assertFailed(pair.handshake().server, containing: "certificate")
    }

    func testClientRefusesAServerNameMismatch() throws {
        let pair = try TLSPair(server: pki.serverConfiguration(),
                               client: pki.clientConfiguration(serverName: "evil.test"))
        let (server, client) = pair.handshake()
        assertFailed(client, containing: "hostname mismatch")
        XCTAssertNotEqual(server, .complete)
    }

    func testClientChecksIPAddressesAgainstIPSANs() throws {
        let matching = try TLSPair(server: pki.serverConfiguration(), client: pki.clientConfiguration(serverName: "127.0.0.1"))
        XCTAssertEqual(matching.handshake().client, .complete)
        let ipv6 = try TLSPair(server: pki.serverConfiguration(), client: pki.clientConfiguration(serverName: "::1"))
        XCTAssertEqual(ipv6.handshake().client, .complete)
        let other = try TLSPair(server: pki.serverConfiguration(), client: pki.clientConfiguration(serverName: "10.0.0.1"))
        assertFailed(other.handshake().client, containing: "IP address mismatch")
    }

    func testConnectionServerNameOverridesTheConfiguration() throws {
        let pair = try TLSPair(server: pki.serverConfiguration(), client: pki.clientConfiguration(serverName: "evil.test"),
                               serverName: "localhost")
        XCTAssertEqual(pair.handshake().client, .complete)
    }

    func testClientRefusesAServerFromAnUntrustedCA() throws {
        let stranger = try TestPKI(caName: "Stranger CA")
        let pair = try TLSPair(server: stranger.serverConfiguration(), client: pki.clientConfiguration())
        assertFailed(pair.handshake().client, containing: "unable to get local issuer certificate")
    }

    func testApplicationDataRoundTripsBothWays() throws {
        let pair = try TLSPair(server: pki.serverConfiguration(), client: pki.clientConfiguration())
        XCTAssertEqual(pair.handshake().client, .complete)
        var generator = SystemRandomNumberGenerator()
        let request = (0 ..< 300_000).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        XCTAssertEqual(try pair.transfer(request, from: pair.client, to: pair.server), request)
        let response = Array(String(repeating: "dispensed ", count: 10_000).utf8)
        XCTAssertEqual(try pair.transfer(response, from: pair.server, to: pair.client), response)
    }

    func testShutdownSendsCloseNotify() throws {
        let pair = try TLSPair(server: pki.serverConfiguration(), client: pki.clientConfiguration())
        XCTAssertEqual(pair.handshake().client, .complete)
        pair.client.shutdown()
        XCTAssertEqual(pair.readResult(pair.server), .closed)
    }

    func testEmptyBuffersDoNothing() throws {
        let pair = try TLSPair(server: pki.serverConfiguration(), client: pki.clientConfiguration())
        XCTAssertEqual(pair.handshake().client, .complete)
        XCTAssertEqual(pair.client.write(UnsafeRawBufferPointer(start: nil, count: 0)), .bytes(0))
        XCTAssertEqual(pair.server.read(into: UnsafeMutableRawBufferPointer(start: nil, count: 0)), .bytes(0))
    }

    func testContextReportsMissingFiles() {
        let configuration = TLSConfiguration.server(certificateChainFile: pki.directory + "/missing.pem",
                                                    privateKeyFile: pki.serverKeyFile)
        XCTAssertThrowsError(try TLSContext(configuration: configuration, isServer: true)) { error in
            guard case .fileNotReadable(let path, _) = error as? TLSError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("missing.pem"))
        }
    }

    func testContextReportsAKeyThatDoesNotMatchTheCertificate() {
        let configuration = TLSConfiguration.server(certificateChainFile: pki.serverCertificateFile,
                                                    privateKeyFile: pki.clientKeyFile)
        XCTAssertThrowsError(try TLSContext(configuration: configuration, isServer: true)) { error in
            XCTAssertEqual(error as? TLSError, .privateKeyMismatch(certificatePath: pki.serverCertificateFile,
                                                                   privateKeyPath: pki.clientKeyFile))
            XCTAssertTrue("\(error)".contains("does not match"))
        }
    }

    func testContextReportsFilesThatAreNotPEM() throws {
        let garbage = pki.directory + "/garbage.pem"
        try CertificateAuthority.writePEM("not a certificate\n", to: garbage, mode: 0o644)
        XCTAssertThrowsError(try TLSContext(configuration: .server(certificateChainFile: garbage,
                                                                   privateKeyFile: pki.serverKeyFile), isServer: true)) {
            guard case .invalidCertificate = $0 as? TLSError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try TLSContext(configuration: .server(certificateChainFile: pki.serverCertificateFile,
                                                                   privateKeyFile: garbage), isServer: true)) {
            guard case .invalidPrivateKey = $0 as? TLSError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try TLSContext(configuration: .client(trustRootsFile: garbage), isServer: false)) {
            guard case .invalidTrustRoots = $0 as? TLSError else { return XCTFail("\($0)") }
        }
    }

    func testContextRefusesIncompleteConfigurations() {
        let cases: [(TLSConfiguration, Bool)] = [
            (TLSConfiguration(), true),
            (TLSConfiguration(certificateChainFile: pki.serverCertificateFile), false),
            (.server(certificateChainFile: pki.serverCertificateFile, privateKeyFile: pki.serverKeyFile,
                     clientCertificateMode: .required), true),
            (TLSConfiguration(trustRootsFile: pki.caFile, minimumVersion: .tls13, maximumVersion: .tls12), false),
            (TLSConfiguration(trustRootsFile: pki.caFile, applicationProtocols: [""]), false),
        ]
        for (configuration, isServer) in cases {
            XCTAssertThrowsError(try TLSContext(configuration: configuration, isServer: isServer)) {
                guard case .invalidConfiguration = $0 as? TLSError else { return XCTFail("\($0)") }
            }
        }
    }

    private func assertIsClientCertificate(_ certificate: PeerCertificate?, line: UInt = #line) throws {
        let certificate = try XCTUnwrap(certificate, line: line)
        XCTAssertEqual(certificate.commonName, "dr-alice", line: line)
        XCTAssertEqual(certificate.subject, "CN=dr-alice,O=MedExpress Clinicians", line: line)
        XCTAssertEqual(certificate.subjectAlternativeNames, [], line: line)
        XCTAssertEqual(certificate.sha256Thumbprint, pki.client.sha256Thumbprint, line: line)
        XCTAssertEqual(certificate.serialNumber, pki.client.serialNumber, line: line)
    }

    private func assertFailed(_ result: TLSHandshakeResult, containing text: String, line: UInt = #line) {
        guard case .failed(let message) = result else {
            return XCTFail("expected a failed handshake, got \(result)", line: line)
        }
        XCTAssertTrue(text.isEmpty || message.contains(text), "\(message.debugDescription) lacks \(text.debugDescription)",
                      line: line)
    }
}
