import Trust
import XCTest

final class TOTPTests: XCTestCase {
    /// RFC 6238 Appendix B's SHA-1 seed, the ASCII of "12345678901234567890".
    private let rfcSecret = TOTPSecret(bytes: Array("12345678901234567890".utf8))!

    func testRFC6238AppendixBSHA1Vectors() {
        let totp = TOTP(secret: rfcSecret, digits: 8)
        let vectors: [(Int64, String)] = [
            (59, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
        ]
        for (time, code) in vectors {
            XCTAssertEqual(totp.code(atUnixSeconds: time), code, "T = \(time)")
        }
        XCTAssertEqual(TOTP(secret: rfcSecret).code(atUnixSeconds: 59), "287082", "six digits: the same number mod 10^6")
        XCTAssertEqual(TOTP(secret: rfcSecret).code(atUnixSeconds: 1_111_111_109), "081804", "leading zero kept")
    }

    func testACodeIsAcceptedOneStepEitherSide() {
        let totp = TOTP(secret: .generate())
        let now: Int64 = 1_700_000_015
        let step = TOTP.step(atUnixSeconds: now)
        for offset: Int64 in [-1, 0, 1] {
            let code = totp.code(atUnixSeconds: now + offset * 30)
            XCTAssertEqual(totp.verify(code, atUnixSeconds: now, lastAcceptedStep: nil), step + offset, "offset \(offset)")
        }
    }

    func testACodeTwoStepsAwayIsRefused() {
        let totp = TOTP(secret: rfcSecret)
        let now: Int64 = 1_700_000_015
        for offset: Int64 in [-2, 2] {
            XCTAssertNil(totp.verify(totp.code(atUnixSeconds: now + offset * 30), atUnixSeconds: now, lastAcceptedStep: nil),
                         "offset \(offset)")
        }
    }

    func testEachCodeIsAcceptedOnce() {
        let totp = TOTP(secret: rfcSecret)
        let now: Int64 = 1_700_000_015
        let code = totp.code(atUnixSeconds: now)
        guard let accepted = totp.verify(code, atUnixSeconds: now, lastAcceptedStep: nil) else { return XCTFail("refused") }
        XCTAssertNil(totp.verify(code, atUnixSeconds: now, lastAcceptedStep: accepted), "replayed")
        XCTAssertNil(totp.verify(code, atUnixSeconds: now + 20, lastAcceptedStep: accepted), "replayed in the next step")
        XCTAssertNil(totp.verify(totp.code(atUnixSeconds: now - 30), atUnixSeconds: now, lastAcceptedStep: accepted),
                     "an earlier step's code after a later one was used")
        XCTAssertEqual(totp.verify(totp.code(atUnixSeconds: now + 30), atUnixSeconds: now + 30, lastAcceptedStep: accepted),
                       accepted + 1)
        XCTAssertNil(totp.verify(code, atUnixSeconds: now, lastAcceptedStep: .max), "a stored step from the future")
    }

    func testCodesThatAreNotSixDigitsAreRefused() {
        let totp = TOTP(secret: rfcSecret)
        let code = totp.code(atUnixSeconds: 59)
        for offered in ["", String(code.dropLast()), code + "0", " " + code, code + "\n", "١٢٣٤٥٦", "28708a", "-28708"] {
            XCTAssertNil(totp.verify(offered, atUnixSeconds: 59, lastAcceptedStep: nil), offered)
        }
        XCTAssertEqual(totp.verify(code, atUnixSeconds: 10, lastAcceptedStep: nil), 1, "the first step accepts no step -1")
    }

    func testProvisioningURIFollowsTheKeyURIFormat() {
        let totp = TOTP(secret: rfcSecret)
        XCTAssertEqual(totp.provisioningURI(issuer: "MedExpress", account: "alice@example.com"),
                       "otpauth://totp/MedExpress:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                           + "&issuer=MedExpress&algorithm=SHA1&digits=6&period=30")
        XCTAssertEqual(totp.provisioningURI(issuer: "Med Express", account: "Zoë:1&x=y"),
                       "otpauth://totp/Med%20Express:Zo%C3%AB%3A1%26x%3Dy?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                           + "&issuer=Med%20Express&algorithm=SHA1&digits=6&period=30")
    }

    func testSecretsAreTwentyRandomBytesThatRoundTripThroughBase32() throws {
        let secret = TOTPSecret.generate()
        XCTAssertEqual(secret.bytes.count, 20)
        XCTAssertEqual(secret.base32.count, 32)
        XCTAssertEqual(try XCTUnwrap(TOTPSecret(base32: secret.base32)).bytes, secret.bytes)
        XCTAssertNotEqual(TOTPSecret.generate().bytes, secret.bytes)
        XCTAssertNil(TOTPSecret(bytes: SecureRandom.bytes(15)), "RFC 4226 requires at least 128 bits")
        XCTAssertNil(TOTPSecret(base32: "GEZDGNBV"), "five bytes")
        XCTAssertNil(TOTPSecret(base32: "not base32"))
        XCTAssertFalse("\(secret)".contains(secret.base32))
    }
}
