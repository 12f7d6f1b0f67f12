@testable import Trust
import XCTest

final class OpaqueIDTests: XCTestCase {
    func testIDsCarryTheirPrefixAnd128RandomBits() {
        for prefix in OpaqueID.Prefix.allCases {
            let id = OpaqueID.make(prefix: prefix)
            XCTAssertTrue(id.hasPrefix(prefix.rawValue), id)
            XCTAssertEqual(id.count, prefix.rawValue.count + 26, id)
            XCTAssertTrue(OpaqueID.isWellFormed(id, prefix: prefix), id)
        }
        let ids = Set((0 ..< 1000).map { _ in OpaqueID.make(prefix: .order) })
        XCTAssertEqual(ids.count, 1000)
    }

    func testTheBodyIsCrockfordBase32OfSixteenBytes() {
        XCTAssertEqual(BaseNEncoding.crockfordBase32.encode([UInt8](repeating: 0, count: 16), padded: false),
                       String(repeating: "0", count: 26))
        XCTAssertEqual(BaseNEncoding.crockfordBase32.encode([UInt8](repeating: 0xFF, count: 16), padded: false),
                       String(repeating: "z", count: 25) + "w")
        XCTAssertEqual(BaseNEncoding.crockfordBase32.encode([0x08, 0x86, 0x42, 0x98, 0xE8], padded: false), "12345678")
    }

    func testIDsFromRequestsAreCheckedExactly() {
        let id = OpaqueID.make(prefix: .customer)
        let body = String(id.dropFirst(4))
        XCTAssertFalse(OpaqueID.isWellFormed(id, prefix: .order), "another kind's prefix")
        for bad in ["", "cus_", body, "cus_" + body.dropLast(), id + "0", "CUS_" + body, "cus_" + body.uppercased(),
                    " " + id, "cus_" + body.dropLast() + "1", // trailing bits not zero
                    "cus_" + String(repeating: "i", count: 26), "cus_" + String(repeating: "l", count: 26),
                    "cus_" + String(repeating: "o", count: 26), "cus_" + String(repeating: "u", count: 26),
                    "cus_" + String(repeating: "é", count: 13)] {
            XCTAssertFalse(OpaqueID.isWellFormed(bad, prefix: .customer), bad)
        }
    }
}
