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

    // MARK: Staff certificates from a certificate signing request

    func testStaffMemberMakesARequestWithANewP256Key() throws {
        let (requestPEM, privateKeyPEM) = try CertificateAuthority.makeRequest(commonName: "dr-alice")
        XCTAssertTrue(requestPEM.hasPrefix("-----BEGIN CERTIFICATE REQUEST-----"), requestPEM)
        XCTAssertTrue(privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let request = try writeFile("request.csr", requestPEM)
        let result = try openssl(["req", "-in", request, "-noout", "-verify", "-text"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("verify OK"), result.output)
        XCTAssertTrue(result.output.contains("Subject: CN = dr-alice"), result.output)
        XCTAssertTrue(result.output.contains("prime256v1"), result.output)
        XCTAssertThrowsError(try CertificateAuthority.makeRequest(commonName: ""))
    }

    func testCASignsTheRequestForTheKeyTheStaffMemberKept() throws {
        let (requestPEM, privateKeyPEM) = try CertificateAuthority.makeRequest(commonName: "dr-alice")
        let signed = try pki.authority.issue(forRequestPEM: requestPEM, commonName: "pharmacist-carol",
                                             organization: "MedExpress staff", usage: .client, validityDays: 30)
        let certificate = try writeFile("carol.pem", signed.certificatePEM)
        let key = try writeFile("carol.key", privateKeyPEM)
        let certifiedKey = try openssl(["x509", "-in", certificate, "-noout", "-pubkey"])
        let keptKey = try openssl(["pkey", "-in", key, "-pubout"])
        XCTAssertEqual(keptKey.status, 0, keptKey.output)
        XCTAssertEqual(certifiedKey.output, keptKey.output)
        // The certificate and the key the CA never saw make a working pair in mutual TLS.
        let client = TLSConfiguration.client(trustRootsFile: pki.caFile, serverName: "pharmacy.test",
                                             certificateChainFile: certificate, privateKeyFile: key)
        let pair = try TLSPair(server: pki.serverConfiguration(clientCertificateMode: .required), client: client)
        let (serverResult, clientResult) = pair.handshake()
        XCTAssertEqual(serverResult, .complete)
        XCTAssertEqual(clientResult, .complete)
        XCTAssertEqual(pair.server.peerCertificate?.commonName, "pharmacist-carol")
        XCTAssertEqual(pair.server.peerCertificate?.sha256Thumbprint, signed.sha256Thumbprint)
        XCTAssertEqual(signed.serialNumber.count, 32)
    }

    func testSignedRequestVerifiesAgainstTheCAAsAClientCertificateOnly() throws {
        let (requestPEM, _) = try CertificateAuthority.makeRequest(commonName: "pharmacist-carol")
        let signed = try pki.authority.issue(forRequestPEM: requestPEM, commonName: "pharmacist-carol",
                                             organization: nil, usage: .client, validityDays: 1)
        let certificate = try writeFile("carol.pem", signed.certificatePEM)
        let asClient = try openssl(["verify", "-CAfile", pki.caFile, "-purpose", "sslclient", certificate])
        XCTAssertEqual(asClient.status, 0, asClient.output)
        let asServer = try openssl(["verify", "-CAfile", pki.caFile, "-purpose", "sslserver", certificate])
        XCTAssertNotEqual(asServer.status, 0, asServer.output)
        let text = try openssl(["x509", "-in", certificate, "-noout", "-text"]).output
        XCTAssertTrue(text.contains("TLS Web Client Authentication"), text)
        XCTAssertFalse(text.contains("TLS Web Server Authentication"), text)
        XCTAssertTrue(text.contains("CA:FALSE"), text)
        XCTAssertTrue(text.contains("X509v3 Subject Key Identifier"), text)
        XCTAssertTrue(text.contains("X509v3 Authority Key Identifier"), text)
        XCTAssertTrue(text.contains("Subject: CN = pharmacist-carol"), text)
    }

    func testCASetsNamesAndExtensionsItselfWhateverTheRequestAsks() throws {
        let requestPEM = try opensslRequest(key: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
                                            subject: "/O=MedExpress/CN=admin",
                                            extensions: ["basicConstraints=critical,CA:TRUE",
                                                         "keyUsage=critical,keyCertSign",
                                                         "extendedKeyUsage=serverAuth",
                                                         "subjectAltName=DNS:evil.test"])
        let signed = try pki.authority.issue(forRequestPEM: requestPEM, commonName: "pharmacist-carol",
                                             organization: "MedExpress staff", usage: .client, validityDays: 1)
        let certificate = try writeFile("carol.pem", signed.certificatePEM)
        let text = try openssl(["x509", "-in", certificate, "-noout", "-text"]).output
        XCTAssertTrue(text.contains("Subject: O = MedExpress staff, CN = pharmacist-carol"), text)
        XCTAssertFalse(text.contains("admin"), text)
        XCTAssertFalse(text.contains("evil.test"), text)
        XCTAssertFalse(text.contains("CA:TRUE"), text)
        XCTAssertFalse(text.contains("Certificate Sign"), text)
        XCTAssertFalse(text.contains("TLS Web Server Authentication"), text)
        let asServer = try openssl(["verify", "-CAfile", pki.caFile, "-purpose", "sslserver", certificate])
        XCTAssertNotEqual(asServer.status, 0, asServer.output)
    }

    func testRequestWithATamperedSignatureIsRefused() throws {
        let (requestPEM, _) = try CertificateAuthority.makeRequest(commonName: "dr-alice")
        // The DER ends with the signature; flipping its last bit keeps the encoding valid.
        assertRequestRefused(try tampered(requestPEM) { $0[$0.count - 1] ^= 0x01 }, because: "signature")
    }

    func testRequestWhoseSubjectWasChangedAfterSigningIsRefused() throws {
        let (requestPEM, _) = try CertificateAuthority.makeRequest(commonName: "dr-alice")
        let changed = try tampered(requestPEM) { der in
            let name = Array("dr-alice".utf8)
            guard let start = (0 ... der.count - name.count).first(where: { Array(der[$0 ..< $0 + name.count]) == name })
            else { return XCTFail("the common name is not in the request") }
            der.replaceSubrange(start ..< start + name.count, with: Array("dr-mallo".utf8))
        }
        assertRequestRefused(changed, because: "signature")
    }

    func testGarbageIsRefusedAsACertificateRequest() throws {
        let (requestPEM, _) = try CertificateAuthority.makeRequest(commonName: "dr-alice")
        assertRequestRefused("garbage", because: "no PEM certificate request")
        assertRequestRefused("", because: "no PEM certificate request")
        assertRequestRefused(pki.client.certificatePEM, because: "no PEM certificate request")
        assertRequestRefused(String(requestPEM.prefix(requestPEM.count / 2)), because: "no PEM certificate request")
        assertRequestRefused("-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n",
                             because: "no PEM certificate request")
    }

    func testOversizedRequestIsRefusedBeforeParsing() throws {
        let (requestPEM, _) = try CertificateAuthority.makeRequest(commonName: "dr-alice")
        // The PEM reader skips text before the BEGIN line, so only the size limit refuses this.
        func padded(toBytes total: Int) -> String {
            String(repeating: "x", count: total - requestPEM.utf8.count - 1) + "\n" + requestPEM
        }
        let limit = CertificateAuthority.maxRequestPEMBytes
        XCTAssertNoThrow(try pki.authority.issue(forRequestPEM: padded(toBytes: limit), commonName: "dr-alice",
                                                 organization: nil, usage: .client, validityDays: 1))
        assertRequestRefused(padded(toBytes: limit + 1), because: "at most \(limit)")
    }

    func testRSA1024RequestIsRefused() throws {
        let requestPEM = try opensslRequest(key: ["-newkey", "rsa:1024"])
        assertRequestRefused(requestPEM, because: "the requested key (RSA 1024 bits) is not accepted")
    }

    func testRequestKeyMustBeP256P384OrRSAOfAtLeast2048Bits() throws {
        for accepted in [["-newkey", "rsa:2048"], ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"]] {
            let requestPEM = try opensslRequest(key: accepted)
            XCTAssertNoThrow(try pki.authority.issue(forRequestPEM: requestPEM, commonName: "dr-alice",
                                                     organization: nil, usage: .client, validityDays: 1), "\(accepted)")
        }
        assertRequestRefused(try opensslRequest(key: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"]),
                             because: "(EC secp521r1)")
        assertRequestRefused(try opensslRequest(key: ["-newkey", "ed25519"]), because: "(ED25519)")
        let explicitKey = pki.directory + "/explicit.key"
        let generated = try openssl(["ecparam", "-name", "prime256v1", "-param_enc", "explicit", "-genkey", "-noout",
                                     "-out", explicitKey])
        XCTAssertEqual(generated.status, 0, generated.output)
        assertRequestRefused(try opensslRequest(key: ["-key", explicitKey]), because: "(EC with explicit curve parameters)")
    }

    /// Asserts that the CA refuses to sign `requestPEM`, with `reason` in the message.
    private func assertRequestRefused(_ requestPEM: String, because reason: String,
                                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try pki.authority.issue(forRequestPEM: requestPEM, commonName: "dr-alice",
                                                     organization: nil, usage: .client, validityDays: 1),
                             file: file, line: line) { error in
            guard case .invalidCertificateRequest(let message) = error as? TLSError else {
                return XCTFail("\(error)", file: file, line: line)
            }
            XCTAssertTrue(message.contains(reason), message, file: file, line: line)
        }
    }

    /// A PEM request made by the openssl CLI; `key` holds `-newkey …` or `-key <file>` arguments.
    private func opensslRequest(key: [String], subject: String = "/CN=requester",
                                extensions: [String] = []) throws -> String {
        let base = pki.directory + "/" + UUID().uuidString
        let result = try openssl(["req", "-new", "-nodes", "-subj", subject, "-keyout", base + ".key",
                                  "-out", base + ".csr"] + key + extensions.flatMap { ["-addext", $0] })
        XCTAssertEqual(result.status, 0, result.output)
        return try String(contentsOfFile: base + ".csr", encoding: .utf8)
    }

    /// The request re-encoded after `change` edits its DER bytes.
    private func tampered(_ requestPEM: String, _ change: (inout [UInt8]) -> Void) throws -> String {
        let base64 = requestPEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        var der = [UInt8](try XCTUnwrap(Data(base64Encoded: base64)))
        change(&der)
        let body = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE REQUEST-----\n\(body)\n-----END CERTIFICATE REQUEST-----\n"
    }

    private func writeFile(_ name: String, _ text: String) throws -> String {
        let path = pki.directory + "/" + name
        try CertificateAuthority.writePEM(text, to: path, mode: 0o600)
        return path
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
