import Trust
import XCTest

final class DigestTests: XCTestCase {
    func testSHA256MatchesFIPS180Examples() {
        XCTAssertEqual(Hex.encode(Digest.sha256(Array("abc".utf8))),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(Hex.encode(Digest.sha256([])),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testHMACSHA256MatchesRFC4231() {
        // Test cases 1, 2 and 6 (a key longer than the block size).
        XCTAssertEqual(Hex.encode(Digest.hmacSHA256(key: [UInt8](repeating: 0x0b, count: 20), data: Array("Hi There".utf8))),
                       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        XCTAssertEqual(Hex.encode(Digest.hmacSHA256(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        XCTAssertEqual(Hex.encode(Digest.hmacSHA256(key: [UInt8](repeating: 0xaa, count: 131),
                                                    data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))),
                       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    func testHexIsTwoLowerCaseDigitsPerByte() {
        XCTAssertEqual(Hex.encode([0x00, 0x0f, 0xa0, 0xff]), "000fa0ff")
        XCTAssertEqual(Hex.encode([]), "")
    }

    func testConstantTimeComparisonFindsADifferenceAnywhere() {
        let bytes = Array(0 ..< 32) as [UInt8]
        XCTAssertTrue(ConstantTime.isEqual(bytes, bytes))
        XCTAssertTrue(ConstantTime.isEqual([], []))
        for index in [0, 15, 31] {
            var other = bytes
            other[index] ^= 0x80
            XCTAssertFalse(ConstantTime.isEqual(bytes, other), "difference at byte \(index)")
        }
        XCTAssertFalse(ConstantTime.isEqual(bytes, Array(bytes.dropLast())))
        XCTAssertFalse(ConstantTime.isEqual([], [0]))
    }
}
