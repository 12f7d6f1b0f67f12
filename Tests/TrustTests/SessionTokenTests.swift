import Trust
import XCTest

final class SessionTokenTests: XCTestCase {
    func testTokensAre256RandomBitsInBase64URL() {
        let token = SessionToken.generate()
        XCTAssertEqual(token.count, 43)
        XCTAssertTrue(token.utf8.allSatisfy { byte in
            (UInt8(ascii: "A") ... UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a") ... UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }, token)
        XCTAssertNotEqual(SessionToken.generate(), token)
    }

    func testWhatIsStoredIsTheTokensSHA256() {
        let token = SessionToken.generate()
        let stored = SessionToken.hash(token)
        XCTAssertEqual(stored, Digest.sha256(Array(token.utf8)))
        XCTAssertEqual(Hex.encode(SessionToken.hash("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertNotEqual(SessionToken.hash(String(token.dropLast())), stored)
    }
}
