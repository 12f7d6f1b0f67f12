import Foundation
import Glibc
import XCTest
@testable import RPCCore

final class CertificateAuthorityTests: XCTestCase {
    private var pki: TestPKI!

    override func setUpWithError() throws { pki = try TestPKI() }
    override func tearDown() { pki = nil }

    func testOpenSSLVerifiesIssuedCertificatesAgainstTheCA() throws {
        let server = try openssl(["verify", "-CAfile", pki.caFile, "-purpose", "sslserver", pki.serverCertificateFile])
        XCTAssertEqual(server.status, 0, server.output)
        XCTAssertTrue(server.output.contains("server.pem: OK"), server.output)
        let client = try openssl(["verify", "-CAfile", pki.caFile, "-purpose", "sslclient", pki.clientCertificateFile])
        XCTAssertEqual(client.status, 0, client.output)
    }

    func testUsageLimitsWhatACertificateMayAuthenticate() throws {
        let clientAsServer = try openssl(["verify", "-CAfile", pki.caFile, "-purpose", "sslserver", pki.clientCertificateFile])
        XCTAssertNotEqual(clientAsServer.status, 0, "a client certificate must not pass as a server's")
        let both = try pki.authority.issue(commonName: "svc-courier", dnsNames: ["courier.test"],
                                           usage: .serverAndClient, validityDays: 1)
        let path = pki.directory + "/both.pem"
        try CertificateAuthority.writePEM(both.certificatePEM, to: path, mode: 0o644)
        for purpose in ["sslserver", "sslclient"] {
            XCTAssertEqual(try openssl(["verify", "-CAfile", pki.caFile, "-purpose", purpose, path]).status, 0, purpose)
        }
    }

    func testThumbprintMatchesOpenSSLFingerprint() throws {
        for (file, issued) in [(pki.serverCertificateFile, pki.server), (pki.clientCertificateFile, pki.client)] {
            let result = try openssl(["x509", "-in", file, "-noout", "-fingerprint", "-sha256"])
            // "sha256 Fingerprint=AB:CD:..."
            let fingerprint = try XCTUnwrap(result.output.split(separator: "=", maxSplits: 1).last)
            let normalized = fingerprint.trimmingCharacters(in: .whitespacesAndNewlines)
                .replacingOccurrences(of: ":", with: "").lowercased()
            XCTAssertEqual(normalized, issued.sha256Thumbprint)
            XCTAssertEqual(issued.sha256Thumbprint.count, 64)
        }
    }

    func testSerialIsRandom128BitsAndMatchesOpenSSL() throws {
        let result = try openssl(["x509", "-in", pki.serverCertificateFile, "-noout", "-serial"])
        XCTAssertEqual(result.output.trimmingCharacters(in: .whitespacesAndNewlines).lowercased(),
                       "serial=" + pki.server.serialNumber)
        XCTAssertEqual(pki.server.serialNumber.count, 32)
        XCTAssertNotEqual(pki.server.serialNumber, pki.client.serialNumber)
    }

    func testServerCertificateCarriesSANsUsagesAndKeyIdentifiers() throws {
        let text = try openssl(["x509", "-in", pki.serverCertificateFile, "-noout", "-text"]).output
        XCTAssertTrue(text.contains("DNS:pharmacy.test, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"), text)
        XCTAssertTrue(text.contains("TLS Web Server Authentication"), text)
        XCTAssertFalse(text.contains("TLS Web Client Authentication"), text)
        XCTAssertTrue(text.contains("CA:FALSE"), text)
        XCTAssertTrue(text.contains("X509v3 Authority Key Identifier"), text)
        XCTAssertTrue(text.contains("X509v3 Subject Key Identifier"), text)
        XCTAssertTrue(text.contains("Subject: O = MedExpress, CN = pharmacy.test"), text)
        XCTAssertTrue(text.contains("ecdsa-with-SHA256"), text)
    }

    func testCACertificateIsASelfSignedP256CA() throws {
        let text = try openssl(["x509", "-in", pki.caFile, "-noout", "-text"]).output
        XCTAssertTrue(text.contains("CA:TRUE"), text)
        XCTAssertTrue(text.contains("X509v3 Basic Constraints: critical"), text)
        XCTAssertTrue(text.contains("Certificate Sign, CRL Sign"), text)
        XCTAssertTrue(text.contains("X509v3 Subject Key Identifier"), text)
        XCTAssertTrue(text.contains("prime256v1"), text)
        XCTAssertTrue(text.contains("Issuer: CN = MedExpress Test CA"), text)
        XCTAssertTrue(text.contains("Subject: CN = MedExpress Test CA"), text)
    }

    func testNotBeforeAllowsForClockSkew() throws {
        // Verifying as of two minutes ago still succeeds: notBefore is backdated five minutes.
        let twoMinutesAgo = Int(Date().timeIntervalSince1970) - 120
        let result = try openssl(["verify", "-CAfile", pki.caFile, "-attime", "\(twoMinutesAgo)", pki.serverCertificateFile])
        XCTAssertEqual(result.status, 0, result.output)
    }

    func testValidityEndsAfterTheRequestedDays() throws {
        let certificate = pki.directory + "/short.pem"
        let issued = try pki.authority.issue(commonName: "short", usage: .client, validityDays: 2)
        try CertificateAuthority.writePEM(issued.certificatePEM, to: certificate, mode: 0o644)
        XCTAssertEqual(try openssl(["x509", "-in", certificate, "-noout", "-checkend", "\(86_400)"]).status, 0)
        XCTAssertNotEqual(try openssl(["x509", "-in", certificate, "-noout", "-checkend", "\(3 * 86_400)"]).status, 0)
    }

    func testCAReloadsFromPEMAndKeepsIssuing() throws {
        let reloaded = try CertificateAuthority(certificatePEM: pki.authority.certificatePEM,
                                                privateKeyPEM: pki.authority.privateKeyPEM)
        let issued = try reloaded.issue(commonName: "pharmacist-bob", usage: .client, validityDays: 1)
        let path = pki.directory + "/bob.pem"
        try CertificateAuthority.writePEM(issued.certificatePEM, to: path, mode: 0o644)
        XCTAssertEqual(try openssl(["verify", "-CAfile", pki.caFile, path]).status, 0)
    }

    func testCARefusesAForeignKeyOrALeafCertificate() throws {
        let other = try CertificateAuthority.create(commonName: "Other", validityDays: 1)
        XCTAssertThrowsError(try CertificateAuthority(certificatePEM: pki.authority.certificatePEM,
                                                      privateKeyPEM: other.privateKeyPEM))
        XCTAssertThrowsError(try CertificateAuthority(certificatePEM: pki.server.certificatePEM,
                                                      privateKeyPEM: pki.server.privateKeyPEM))
        XCTAssertThrowsError(try CertificateAuthority(certificatePEM: "garbage", privateKeyPEM: "garbage"))
    }

    func testIssueRefusesInvalidNames() {
        XCTAssertThrowsError(try pki.authority.issue(commonName: "x", ipAddresses: ["300.1.1.1"], usage: .server, validityDays: 1))
        XCTAssertThrowsError(try pki.authority.issue(commonName: "x", dnsNames: ["two words"], usage: .server, validityDays: 1))
        XCTAssertThrowsError(try pki.authority.issue(commonName: "", usage: .server, validityDays: 1))
        XCTAssertThrowsError(try pki.authority.issue(commonName: "x", usage: .server, validityDays: 0))
    }

    func testWritePEMSetsPermissionsAndLeavesNoTemporaryFiles() throws {
        let path = pki.directory + "/secret.key"
        try CertificateAuthority.writePEM("first", to: path, mode: 0o600)
        try CertificateAuthority.writePEM(pki.client.privateKeyPEM, to: path, mode: 0o600)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), pki.client.privateKeyPEM)
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: pki.directory).filter { $0.contains(".tmp.") }
        XCTAssertEqual(leftovers, [])
        XCTAssertThrowsError(try CertificateAuthority.writePEM("x", to: pki.directory + "/missing/dir.pem", mode: 0o644)) {
            guard case .fileWriteFailed = $0 as? TLSError else { return XCTFail("\($0)") }
        }
    }

    func testPrivateKeyIsUnencryptedPKCS8() {
        XCTAssertTrue(pki.server.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        XCTAssertTrue(pki.authority.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
    }

    private func openssl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
