import ClientKit
import XCTest

/// TLS: the server is verified against a CA and a name; a client certificate identifies us.
final class TLSChannelTests: XCTestCase {
    func testACallOverTLSVerifiesTheServerByCAAndName() async throws {
        let certificates = try TestCertificates()
        let server = try await TestServer.start(tls: certificates.server())
        let channel = try server.channel(tls: certificates.client(serverName: "localhost"))
        let response = try await channel.unary(ProbeService.Method.whoami, Blob())
        XCTAssertEqual(response.message.text, "anonymous")
        await channel.close()
        await server.stop()
    }

    func testTheTargetAddressIsVerifiedWhenNoNameIsGiven() async throws {
        let certificates = try TestCertificates()
        let server = try await TestServer.start(tls: certificates.server())
        let channel = try server.channel(tls: certificates.client(serverName: nil))
        _ = try await channel.unary(ProbeService.Method.whoami, Blob())
        await channel.close()
        await server.stop()
    }

    func testAServerCertificateForAnotherNameIsRejected() async throws {
        let certificates = try TestCertificates()
        let server = try await TestServer.start(tls: certificates.server())
        let channel = try server.channel(tls: certificates.client(serverName: "pharmacy.example"))
        let status = await failureStatus { try await channel.unary(ProbeService.Method.whoami, Blob()) }
        XCTAssertEqual(status?.code, .unavailable)
        XCTAssertTrue(status?.message.contains("TLS handshake failed") ?? false, "\(String(describing: status))")
        await channel.close()
        await server.stop()
    }

    func testAServerFromAnotherCAIsRejected() async throws {
        let certificates = try TestCertificates()
        let strangers = try TestCertificates()
        let server = try await TestServer.start(tls: strangers.server())
        let channel = try server.channel(tls: certificates.client(serverName: "localhost"))
        let status = await failureStatus { try await channel.unary(ProbeService.Method.whoami, Blob()) }
        XCTAssertEqual(status?.code, .unavailable)
        await channel.close()
        await server.stop()
    }

    func testTheServerSeesTheClientCertificateOfMutualTLS() async throws {
        let certificates = try TestCertificates()
        let server = try await TestServer.start(tls: certificates.server(clientCertificateMode: .required))
        let channel = try server.channel(tls: certificates.client(serverName: "localhost", withIdentity: true))
        let response = try await channel.unary(ProbeService.Method.whoami, Blob())
        XCTAssertEqual(response.message.text, "dr-alice")
        await channel.close()
        await server.stop()
    }

    func testAServerRequiringACertificateRefusesAClientWithout() async throws {
        let certificates = try TestCertificates()
        let server = try await TestServer.start(tls: certificates.server(clientCertificateMode: .required))
        let channel = try server.channel(tls: certificates.client(serverName: "localhost"))
        let status = await failureStatus { try await channel.unary(ProbeService.Method.whoami, Blob()) }
        XCTAssertEqual(status?.code, .unavailable)
        await channel.close()
        await server.stop()
    }
}
