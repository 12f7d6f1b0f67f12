import Trust
import XCTest

final class PasswordHasherTests: XCTestCase {
    /// N = 16: fast, for tests that are not about the cost.
    private let hasher = PasswordHasher(parameters: ScryptParameters(log2Cost: 4, blockSize: 8, parallelism: 1))
    private let password = "correct horse battery staple"

    func testAHashedPasswordVerifiesAndNoOtherDoes() {
        let encoded = hasher.hash(password)
        XCTAssertTrue(hasher.verify(password, against: encoded))
        for wrong in ["correct horse battery stapl", "Correct horse battery staple", password + " ", ""] {
            XCTAssertFalse(hasher.verify(wrong, against: encoded), wrong)
        }
    }

    func testTheStoredFormIsAPHCScryptStringWithAFreshSalt() {
        let encoded = hasher.hash(password)
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        XCTAssertEqual(fields.count, 5, encoded)
        XCTAssertEqual(Array(fields.prefix(3)), ["", "scrypt", "ln=4,r=8,p=1"])
        XCTAssertEqual(fields[3].count, 22, "16-byte salt, unpadded base64")
        XCTAssertEqual(fields[4].count, 43, "32-byte hash, unpadded base64")
        XCTAssertNotEqual(hasher.hash(password), encoded, "two hashes of one password share a salt")
    }

    func testVerifiesAHashMadeElsewhere() {
        // Python: hashlib.scrypt(password, salt=bytes(range(16)), n=16, r=8, p=1, dklen=32), PHC-encoded.
        let encoded = "$scrypt$ln=4,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$IZMORLo+NKM9sf3dDH1ZCk4hbDj0SQeYfTHU51eMJgU"
        XCTAssertTrue(hasher.verify(password, against: encoded))
        XCTAssertTrue(PasswordHasher().verify(password, against: encoded), "stored parameters, not the hasher's, apply")
        XCTAssertFalse(hasher.verify(password, against: encoded.replacingOccurrences(of: "JgU", with: "JgQ")),
                       "the last byte of the hash differs")
    }

    func testTheRecommendedCostIsUsedByDefault() {
        let hasher = PasswordHasher()
        XCTAssertEqual(hasher.parameters, ScryptParameters(log2Cost: 17, blockSize: 8, parallelism: 1))
        XCTAssertGreaterThan(hasher.parameters.memoryBytes, 128 * 1024 * 1024)
        let encoded = hasher.hash(password)
        XCTAssertTrue(encoded.hasPrefix("$scrypt$ln=17,r=8,p=1$"), encoded)
        XCTAssertTrue(hasher.verify(password, against: encoded))
        XCTAssertFalse(hasher.needsRehash(encoded))
    }

    func testMalformedStoredValuesNeverVerify() {
        let good = hasher.hash(password)
        let fields = good.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        let salt = fields[3], hash = fields[4]
        let malformed = [
            "", "$scrypt$", good + "$", "$" + good, good.replacingOccurrences(of: "$scrypt$", with: "$argon2id$"),
            "$scrypt$ln=04,r=8,p=1$\(salt)$\(hash)", "$scrypt$ln=+4,r=8,p=1$\(salt)$\(hash)",
            "$scrypt$r=8,ln=4,p=1$\(salt)$\(hash)", "$scrypt$ln=4,r=8$\(salt)$\(hash)", "$scrypt$ln=4,r=8,p=1,x=1$\(salt)$\(hash)",
            "$scrypt$ln=4,r=8,p=1$\(salt)!$\(hash)", "$scrypt$ln=4,r=8,p=1$\(salt)$\(hash.dropLast())",
            "$scrypt$ln=4,r=8,p=1$AAECAwQFBgc$\(hash)", // an 8-byte salt
            "$scrypt$ln=4,r=8,p=1$\(salt)$AAECAwQFBgc", // an 8-byte hash
            good + String(repeating: "A", count: 300),
        ]
        for encoded in malformed {
            XCTAssertFalse(hasher.verify(password, against: encoded), encoded)
            XCTAssertTrue(hasher.needsRehash(encoded), encoded)
        }
    }

    func testParametersBeyondTheLimitsAreRefusedEvenWhenTheHashIsRight() {
        // Genuine hashes (Python's hashlib.scrypt) at p = 5 and r = 17, one past the limits: a stored
        // value must not choose its own cost.
        for encoded in ["$scrypt$ln=4,r=8,p=5$AAECAwQFBgcICQoLDA0ODw$tCrSzg9AuBGo7Vd7QAtWCeoEq5KWTqHuumV/n2QF4nw",
                        "$scrypt$ln=4,r=17,p=1$AAECAwQFBgcICQoLDA0ODw$IhqH7Cauv2ztBRpUNh3YOMiwq2KLFeL20NaKYTVB95A"] {
            XCTAssertFalse(hasher.verify(password, against: encoded), encoded)
        }
        // 2^21 × 8 × 128 bytes is 2 GiB; 2^20 × 16 × 128 bytes too: refused before anything is allocated.
        for parameters in ["ln=21,r=8,p=1", "ln=20,r=16,p=1", "ln=0,r=8,p=1", "ln=4,r=0,p=1", "ln=4,r=8,p=0"] {
            XCTAssertFalse(hasher.verify(password, against: "$scrypt$\(parameters)$AAECAwQFBgcICQoLDA0ODw$"
                                         + "IZMORLo+NKM9sf3dDH1ZCk4hbDj0SQeYfTHU51eMJgU"), parameters)
        }
    }

    func testAPasswordLongerThanThePolicyAllowsNeverVerifies() {
        let long = String(repeating: "a", count: PasswordPolicy.maxBytes)
        let encoded = hasher.hash(long)
        XCTAssertTrue(hasher.verify(long, against: encoded))
        XCTAssertFalse(hasher.verify(long + "a", against: encoded))
    }

    func testHashesBelowTheCurrentCostNeedRehashing() {
        let weak = hasher.hash(password)
        XCTAssertFalse(hasher.needsRehash(weak))
        XCTAssertTrue(PasswordHasher().needsRehash(weak))
        XCTAssertTrue(PasswordHasher(parameters: ScryptParameters(log2Cost: 4, blockSize: 8, parallelism: 2)).needsRehash(weak))
        let stronger = PasswordHasher(parameters: ScryptParameters(log2Cost: 5, blockSize: 8, parallelism: 1)).hash(password)
        XCTAssertFalse(hasher.needsRehash(stronger), "a stronger hash is kept")
    }
}
