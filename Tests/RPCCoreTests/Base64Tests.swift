import Foundation
import XCTest
@testable import RPCCore

final class Base64Tests: XCTestCase {
    // RFC 4648 §10 test vectors.
    let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    func testEncodesTheRFCVectors() {
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.encode(Array(plain.utf8)), encoded)
        }
    }

    func testEncodesUnpaddedForMetadata() {
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.encodeUnpadded(Array(plain.utf8)), String(encoded.prefix { $0 != "=" }))
        }
    }

    func testDecodesPaddedAndUnpadded() {
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.decode(encoded), Array(plain.utf8))
            let unpadded = String(encoded.prefix { $0 != "=" })
            XCTAssertEqual(Base64.decode(unpadded), Array(plain.utf8), unpadded)
        }
    }

    func testUsesTheStandardAlphabet() {
        XCTAssertEqual(Base64.encode([0xFB, 0xFF, 0xBF]), "+/+/")
        XCTAssertEqual(Base64.decode("+/+/"), [0xFB, 0xFF, 0xBF])
    }

    func testRoundTripsEveryLengthAndByteValue() {
        var generator = SystemRandomNumberGenerator()
        for count in 0 ..< 200 {
            let bytes = (0 ..< count).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
            XCTAssertEqual(Base64.decode(Base64.encode(bytes)), bytes)
        }
        let all = (0 ... 255).map(UInt8.init)
        XCTAssertEqual(Base64.decode(Base64.encode(all)), all)
    }

    func testMatchesFoundation() {
        let bytes = Array("MedExpress \u{1F69A} -bin metadata".utf8)
        XCTAssertEqual(Base64.encode(bytes), Data(bytes).base64EncodedString())
    }

    func testRejectsInvalidText() {
        for text in ["Z", "Zg=", "Zg===", "Z===", "====", "=", "Zm9v=", "Zm9-", "Zm9_", "Zm 9v", "Zm9v\n",
                     "Zg==Zg==", "Z=g=", "é"] {
            XCTAssertNil(Base64.decode(text), text.debugDescription)
        }
    }
}
