import Trust
import XCTest

final class PasswordPolicyTests: XCTestCase {
    func testTenCharactersAreEnoughAndNineAreNot() {
        XCTAssertNil(PasswordPolicy.violation(of: "abcdefghij"))
        XCTAssertEqual(PasswordPolicy.violation(of: "abcdefghi"), .tooShort(characterCount: 9))
        XCTAssertEqual(PasswordPolicy.violation(of: ""), .tooShort(characterCount: 0))
        XCTAssertEqual("\(PasswordPolicy.violation(of: "abc")!)", "the password has 3 characters; it needs at least 10")
    }

    func testCharactersAreCountedAsAPersonSeesThem() {
        // Nine characters of two or more bytes each, then ten.
        XCTAssertEqual(PasswordPolicy.violation(of: String(repeating: "é", count: 9)), .tooShort(characterCount: 9))
        XCTAssertEqual(PasswordPolicy.violation(of: String(repeating: "e\u{301}", count: 9)), .tooShort(characterCount: 9))
        XCTAssertEqual(PasswordPolicy.violation(of: String(repeating: "👩‍👩‍👧", count: 9)), .tooShort(characterCount: 9))
        XCTAssertNil(PasswordPolicy.violation(of: String(repeating: "👩‍👩‍👧", count: 10)))
    }

    func testOverlongPasswordsAreRefusedByByteLength() {
        XCTAssertNil(PasswordPolicy.violation(of: String(repeating: "a", count: PasswordPolicy.maxBytes)))
        XCTAssertEqual(PasswordPolicy.violation(of: String(repeating: "a", count: PasswordPolicy.maxBytes + 1)),
                       .tooLong(byteCount: PasswordPolicy.maxBytes + 1))
        XCTAssertEqual(PasswordPolicy.violation(of: String(repeating: "é", count: 600)), .tooLong(byteCount: 1200))
    }
}
