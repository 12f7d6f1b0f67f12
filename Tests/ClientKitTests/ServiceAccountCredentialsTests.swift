import ClientKit
import Foundation
import XCTest

/// A courier integration calling in: its client certificate is its whole identity.
final class ServiceAccountCredentialsTests: XCTestCase {
    func testAServiceAccountReachesAServerRequiringClientCertificates() async throws {
        let certificates = try TestCertificates()
        let identity = try certificates.clientIdentity(commonName: "royal-mail-courier")
        let server = try await TestServer.start(auth: FakeAuthService(),
                                                tls: certificates.server(clientCertificateMode: .required))
        let account = ServiceAccountCredentials(certificateChainFile: identity.certificateFile,
                                                privateKeyFile: identity.keyFile, trustRootsFile: certificates.caFile,
                                                serverName: "localhost")
        let channel = try GRPCChannel(target: server.address, serviceAccount: account)
        let response = try await channel.unary(AccountService.Method.whoami, Blob())
        XCTAssertEqual(response.message.text, "royal-mail-courier")
        XCTAssertEqual(server.probe.values("whoami.thumbprint"), [try sha256Thumbprint(of: identity.certificateFile)])
        XCTAssertEqual(server.probe.values("whoami.authorization"), ["none"])
        await channel.close()
        await server.stop()
    }

    func testAServiceAccountChannelTakesNoCallCredentials() throws {
        let certificates = try TestCertificates()
        let account = ServiceAccountCredentials(certificateChainFile: certificates.clientCertificateFile,
                                                privateKeyFile: certificates.clientKeyFile,
                                                trustRootsFile: certificates.caFile)
        var configuration = ChannelConfiguration()
        configuration.credentials = BearerTokenCredentials { _ in "token" }
        XCTAssertThrowsError(try GRPCChannel(target: SocketAddress(host: "127.0.0.1", port: 1), serviceAccount: account,
                                             configuration: configuration)) {
            XCTAssertEqual(($0 as? Status)?.code, .invalidArgument)
        }
    }

    /// The certificate's SHA-256 fingerprint as the `openssl` CLI computes it, in lower-case hex.
    private func sha256Thumbprint(of certificateFile: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["x509", "-in", certificateFile, "-noout", "-fingerprint", "-sha256"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let fingerprint = try XCTUnwrap(String(decoding: output, as: UTF8.self).split(separator: "=").last)
        return fingerprint.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: ":", with: "").lowercased()
    }
}
