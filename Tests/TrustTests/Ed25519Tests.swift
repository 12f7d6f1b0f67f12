import Foundation
import Trust
import XCTest

/// Prescriber keys: Ed25519 signing and verification (RFC 8032) through OpenSSL.
final class Ed25519Tests: XCTestCase {
    /// RFC 8032 §7.1, TEST 1 to TEST 3: secret key, public key, message, signature.
    private let rfc8032Vectors: [(secret: String, public: String, message: String, signature: String)] = [
        ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
         "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
         "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
        ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
         "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
         "af82",
         "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
    ]

    private let prescription = Array("rx_0123: Sildenafil 50 mg tablets, 8; one tablet one hour before sexual activity".utf8)

    func testRFC8032VectorsDeriveThePublicKeyAndSignature() throws {
        for vector in rfc8032Vectors {
            let key = try Ed25519PrivateKey(rawRepresentation: [UInt8](hex: vector.secret))
            XCTAssertEqual(Hex.encode(key.publicKey.rawRepresentation), vector.public)
            let message = [UInt8](hex: vector.message)
            XCTAssertEqual(Hex.encode(key.signature(for: message)), vector.signature, "message \(vector.message)")
            let publicKey = try Ed25519PublicKey(rawRepresentation: [UInt8](hex: vector.public))
            XCTAssertEqual(publicKey, key.publicKey)
            XCTAssertTrue(publicKey.isValidSignature([UInt8](hex: vector.signature), for: message))
        }
    }

    func testAGeneratedKeySignsAndItsPublicKeyVerifies() throws {
        let key = Ed25519PrivateKey.generate()
        let signature = key.signature(for: prescription)
        XCTAssertEqual(signature.count, Ed25519PublicKey.signatureByteCount)
        XCTAssertEqual(key.signature(for: prescription), signature, "Ed25519 signatures are deterministic")
        XCTAssertTrue(key.publicKey.isValidSignature(signature, for: prescription))
        XCTAssertNotEqual(Ed25519PrivateKey.generate().publicKey, key.publicKey)
    }

    func testAKeyStoredAsItsRawBytesSignsTheSameAfterLoading() throws {
        let key = Ed25519PrivateKey.generate()
        XCTAssertEqual(key.rawRepresentation.count, Ed25519PrivateKey.byteCount)
        let loaded = try Ed25519PrivateKey(rawRepresentation: key.rawRepresentation)
        XCTAssertEqual(loaded.publicKey, key.publicKey)
        XCTAssertEqual(loaded.signature(for: prescription), key.signature(for: prescription))
        let publicKey = try Ed25519PublicKey(rawRepresentation: key.publicKey.rawRepresentation)
        XCTAssertTrue(publicKey.isValidSignature(key.signature(for: prescription), for: prescription))
    }

    func testPrintingAPrivateKeyShowsNoKeyMaterial() throws {
        let seed = [UInt8](hex: rfc8032Vectors[0].secret)
        let key = try Ed25519PrivateKey(rawRepresentation: seed)
        let printed = String(describing: key) + String(reflecting: key)
        XCTAssertFalse(printed.contains(seed.prefix(3).map(String.init).joined(separator: ", ")), printed)
        XCTAssertFalse(printed.lowercased().contains(rfc8032Vectors[0].secret.prefix(6)), printed)
        XCTAssertTrue(printed.contains("<32 secret bytes>"), printed)
    }

    func testAChangedMessageDoesNotVerify() {
        let key = Ed25519PrivateKey.generate()
        let signature = key.signature(for: prescription)
        for index in [0, prescription.count / 2, prescription.count - 1] {
            var altered = prescription
            altered[index] ^= 0x01
            XCTAssertFalse(key.publicKey.isValidSignature(signature, for: altered), "byte \(index) changed")
        }
        XCTAssertFalse(key.publicKey.isValidSignature(signature, for: prescription + [0]), "a byte appended")
        XCTAssertFalse(key.publicKey.isValidSignature(signature, for: Array(prescription.dropLast())), "a byte removed")
        XCTAssertFalse(key.publicKey.isValidSignature(signature, for: []))
    }

    func testAChangedSignatureDoesNotVerify() {
        let key = Ed25519PrivateKey.generate()
        let signature = key.signature(for: prescription)
        for index in [0, 31, 32, 63] {
            var altered = signature
            altered[index] ^= 0x80
            XCTAssertFalse(key.publicKey.isValidSignature(altered, for: prescription), "byte \(index) changed")
        }
        XCTAssertFalse(key.publicKey.isValidSignature(Array(signature.dropLast()), for: prescription), "truncated")
        XCTAssertFalse(key.publicKey.isValidSignature(signature + [0], for: prescription), "extended")
        XCTAssertFalse(key.publicKey.isValidSignature([], for: prescription), "empty")
        XCTAssertFalse(key.publicKey.isValidSignature([UInt8](repeating: 0, count: 64), for: prescription), "zeros")
    }

    func testAnotherPrescribersKeyDoesNotVerify() {
        let prescriber = Ed25519PrivateKey.generate()
        let other = Ed25519PrivateKey.generate()
        let signature = prescriber.signature(for: prescription)
        XCTAssertFalse(other.publicKey.isValidSignature(signature, for: prescription))
        XCTAssertTrue(prescriber.publicKey.isValidSignature(signature, for: prescription))
    }

    func testKeysOfTheWrongLengthAreRefused() {
        for count in [0, 31, 33, 64] {
            XCTAssertThrowsError(try Ed25519PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: count))) { error in
                XCTAssertEqual(error as? Ed25519KeyError, .wrongLength(byteCount: count))
            }
            XCTAssertThrowsError(try Ed25519PublicKey(rawRepresentation: [UInt8](repeating: 7, count: count))) { error in
                XCTAssertEqual(error as? Ed25519KeyError, .wrongLength(byteCount: count))
                XCTAssertEqual("\(error)", "an Ed25519 key is 32 bytes (RFC 8032 §5.1.5), not \(count)")
            }
        }
    }

    func testThePEMPublicKeyIsASubjectPublicKeyInfo() throws {
        let key = try Ed25519PublicKey(rawRepresentation: [UInt8](hex: rfc8032Vectors[0].public))
        // RFC 8410 §4: SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING { the 32-byte key } },
        // as `openssl pkey -pubout` writes it for RFC 8032 TEST 1.
        XCTAssertEqual(key.pemRepresentation, """
            -----BEGIN PUBLIC KEY-----
            MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
            -----END PUBLIC KEY-----

            """)
    }

    func testTheOpenSSLCommandLineVerifiesOurSignatureWithOurPEMKey() throws {
        let openssl = try Self.openSSLTool()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = Ed25519PrivateKey.generate()
        try Data(key.publicKey.pemRepresentation.utf8).write(to: URL(fileURLWithPath: directory + "/pub.pem"))
        try Data(prescription).write(to: URL(fileURLWithPath: directory + "/msg"))
        try Data(key.signature(for: prescription)).write(to: URL(fileURLWithPath: directory + "/sig"))

        let verified = try Self.run(openssl, ["pkeyutl", "-verify", "-pubin", "-inkey", directory + "/pub.pem",
                                              "-rawin", "-in", directory + "/msg", "-sigfile", directory + "/sig"])
        XCTAssertEqual(verified.status, 0, verified.output)
        XCTAssertTrue(verified.output.contains("Signature Verified Successfully"), verified.output)

        var altered = prescription
        altered[0] ^= 0x01
        try Data(altered).write(to: URL(fileURLWithPath: directory + "/msg"))
        let refused = try Self.run(openssl, ["pkeyutl", "-verify", "-pubin", "-inkey", directory + "/pub.pem",
                                             "-rawin", "-in", directory + "/msg", "-sigfile", directory + "/sig"])
        XCTAssertNotEqual(refused.status, 0, refused.output)
        XCTAssertFalse(refused.output.contains("Signature Verified Successfully"), refused.output)
    }

    func testTheOpenSSLCommandLineDerivesTheSamePEMPublicKey() throws {
        let openssl = try Self.openSSLTool()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = Ed25519PrivateKey.generate()
        // RFC 8410 §7 OneAsymmetricKey (PKCS #8) DER: a fixed 16-byte header, then the seed.
        let pkcs8 = [UInt8](hex: "302e020100300506032b657004220420") + key.rawRepresentation
        try Data(pkcs8).write(to: URL(fileURLWithPath: directory + "/key.der"))
        let derived = try Self.run(openssl, ["pkey", "-inform", "DER", "-in", directory + "/key.der", "-pubout"])
        XCTAssertEqual(derived.status, 0, derived.output)
        XCTAssertEqual(derived.output, key.publicKey.pemRepresentation)
    }

    /// The `openssl` tool on PATH; skips the test when there is none.
    private static func openSSLTool() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(directory)/openssl") {
            return "\(directory)/openssl"
        }
        throw XCTSkip("the openssl command-line tool is not on PATH: the interoperability check needs it")
    }

    /// A new private directory under the system's temporary directory (mkdtemp).
    private static func temporaryDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/medexpress-ed25519-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { $0.baseAddress.flatMap { mkdtemp($0) } != nil }
        guard created else { throw CocoaError(.fileWriteUnknown) }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs `tool` with `arguments`; its exit status and its standard output and error together.
    private static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
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
