import Trust
import XCTest

final class Base32Tests: XCTestCase {
    // RFC 4648 §10.
    private let vectors: [(String, String)] = [
        ("", ""), ("f", "MY======"), ("fo", "MZXQ===="), ("foo", "MZXW6==="),
        ("foob", "MZXW6YQ="), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI======"),
    ]

    func testEncodesTheRFC4648Vectors() {
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base32.encode(Array(plain.utf8)), encoded)
            XCTAssertEqual(Base32.encode(Array(plain.utf8), padded: false), String(encoded.prefix { $0 != "=" }))
        }
    }

    func testDecodesTheRFC4648VectorsPaddedAndUnpadded() {
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base32.decode(encoded), Array(plain.utf8), encoded)
            XCTAssertEqual(Base32.decode(String(encoded.prefix { $0 != "=" })), Array(plain.utf8), encoded)
        }
    }

    func testRefusesTextThatIsNotStrictBase32() {
        for text in ["mzxw6===", "MZXW1===", "MZXW0===", "MZXW6==", "MZXW6====", "MZXW6YTB========", "M", "MZX",
                     "MZXW6Y", "MZ", "MZXW 6===", "=MZXW6==", "MZ=XW6=="] {
            XCTAssertNil(Base32.decode(text), text)
        }
    }
}
