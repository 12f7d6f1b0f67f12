import XCTest
@testable import Domain

final class JSONNodeTests: XCTestCase {
    private let document = #"""
    {"treatments": [{"medications": [{"products": [{"price_pence": 290}, {"price_pence": 2.5}]}]}],
     "name": "x", "count": 9223372036854775808, "flag": true}
    """#

    private func root() throws -> JSONObjectNode { try JSONNode(try JSONParser.parse(document)).object() }

    func testErrorsNameThePath() throws {
        let product = try root().required("treatments").array()[0].object().required("medications").array()[0]
            .object().required("products").array()[1].object()
        XCTAssertThrowsError(try product.required("price_pence").int64()) { error in
            XCTAssertEqual("\(error)", "treatments[0].medications[0].products[1].price_pence: expected an integer, found a number")
        }
    }

    func testReadsTypedValues() throws {
        let root = try root()
        XCTAssertEqual(try root.required("name").string(), "x")
        XCTAssertEqual(try root.required("flag").bool(), true)
        XCTAssertEqual(try root.required("treatments").array()[0].object().required("medications").array().count, 1)
    }

    func testIntegersOutsideSixtyFourBitsAreRefused() throws {
        XCTAssertThrowsError(try root().required("count").int64())
    }

    func testMissingAndUnknownFieldsAreNamed() throws {
        XCTAssertThrowsError(try root().required("version")) { XCTAssertEqual("\($0)", "missing required field 'version'") }
        XCTAssertThrowsError(try root().allowOnly(["treatments", "name", "count"])) {
            XCTAssertEqual("\($0)", "unknown field 'flag'")
        }
    }

    func testWrongTypeIsNamed() throws {
        XCTAssertThrowsError(try root().required("name").bool()) {
            XCTAssertEqual("\($0)", "name: expected a boolean, found a string")
        }
    }

    func testAnObjectBuiltByHandRefusesDuplicateKeys() {
        XCTAssertThrowsError(try JSONObject([.init(key: "a", value: .null), .init(key: "a", value: .null)]))
    }
}
