import Trust
import XCTest

final class SecureRandomTests: XCTestCase {
    func testBytesHaveTheLengthAskedAndDiffer() {
        let first = SecureRandom.bytes(32)
        let second = SecureRandom.bytes(32)
        XCTAssertEqual(first.count, 32)
        XCTAssertNotEqual(first, second, "two 256-bit draws were equal")
        XCTAssertEqual(SecureRandom.bytes(0), [])
    }
}
