import Trust
import XCTest

final class BlindIndexTests: XCTestCase {
    func testIndexIsHMACSHA256UnderTheHKDFDerivedKey() throws {
        // Master key 00 01 … 1f; expected value computed independently (Python: HKDF-SHA256 with no
        // salt and info "medexpress blind index v1", then HMAC-SHA256). Stored indexes depend on it.
        let master = try MasterKey(base64: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        XCTAssertEqual(Hex.encode(BlindIndex(master: master).index("alice@example.com")),
                       "f0f3cfd7c4b8ad98afedd2d45feb7f039a343fc8ecfea8bc5012e9fbb3ff9d6a")
    }

    func testTheSameEmailTypedDifferentlyFindsTheSameCustomer() throws {
        let index = BlindIndex(master: try randomMasterKey())
        let registered = index.index(BlindIndex.normalisedEmail("alice@example.com"))
        XCTAssertEqual(registered.count, 32)
        for typed in ["  Alice@Example.COM\n", "ALICE@EXAMPLE.COM", "\talice@example.com "] {
            XCTAssertEqual(index.index(BlindIndex.normalisedEmail(typed)), registered, typed)
        }
        XCTAssertNotEqual(index.index(BlindIndex.normalisedEmail("alice@example.co")), registered)
    }

    func testIndexesDifferUnderAnotherMasterKey() throws {
        let email = BlindIndex.normalisedEmail("bob@example.com")
        XCTAssertNotEqual(BlindIndex(master: try randomMasterKey()).index(email),
                          BlindIndex(master: try randomMasterKey()).index(email))
    }
}
