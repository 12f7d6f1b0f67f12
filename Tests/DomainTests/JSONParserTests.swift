import XCTest
@testable import Domain

final class JSONParserTests: XCTestCase {
    private func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    private func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> JSONError? {
        do {
            _ = try JSONParser.parse(text)
            XCTFail("expected \(text.prefix(40)) to be refused", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    func testParsesEveryKindOfValue() throws {
        let value = try parse(#" { "a": [1, -0.5, 2e10, true, false, null], "b": {"c": "d"} } "#)
        guard case let .object(object) = value else { return XCTFail("not an object") }
        XCTAssertEqual(object.keys, ["a", "b"])
        XCTAssertEqual(object["a"], .array([.number("1"), .number("-0.5"), .number("2e10"), .bool(true), .bool(false), .null]))
        XCTAssertEqual(object["b"], .object(try JSONObject([.init(key: "c", value: .string("d"))])))
    }

    func testKeepsTheLiteralTextOfNumbers() throws {
        XCTAssertEqual(try parse("12345678901234567890.000000001"), .number("12345678901234567890.000000001"))
        XCTAssertEqual(try parse("-0"), .number("-0"))
        XCTAssertEqual(try parse("1E+2"), .number("1E+2"))
    }

    func testKeepsKeyOrderAsWritten() throws {
        guard case let .object(object) = try parse(#"{"z": 1, "a": 2, "m": 3}"#) else { return XCTFail() }
        XCTAssertEqual(object.keys, ["z", "a", "m"])
    }

    func testDecodesEscapesIncludingSurrogatePairs() throws {
        XCTAssertEqual(try parse(#""\"\\\/\b\f\n\r\t""#), .string("\"\\/\u{08}\u{0C}\n\r\t"))
        XCTAssertEqual(try parse(#""\u00e9\u20AC""#), .string("é€"))
        XCTAssertEqual(try parse(#""\ud83d\ude00 smile""#), .string("😀 smile"))
        XCTAssertEqual(try parse("\"£2.90 😀\""), .string("£2.90 😀"))
    }

    func testRefusesLoneOrMismatchedSurrogates() {
        XCTAssertNotNil(error(#""\ud83d""#))
        XCTAssertNotNil(error(#""\ud83d\u0041""#))
        XCTAssertNotNil(error(#""\ude00""#))
    }

    func testRefusesTrailingCommas() {
        XCTAssertNotNil(error("[1, 2,]"))
        XCTAssertNotNil(error(#"{"a": 1,}"#))
    }

    func testRefusesWhatRFC8259DoesNotAllow() {
        for text in ["", "  ", "[1 2]", "{'a': 1}", "{a: 1}", "01", "1.", ".5", "+1", "1e", "-", "NaN", "Infinity",
                     "tru", "nul", "\"tab\there\"", "\"unterminated", #""\x""#, "[1] 2", "// comment\n1", "[", "{\"a\"}",
                     "\u{FEFF}1"] {
            XCTAssertNotNil(error(text), "accepted \(text)")
        }
    }

    func testRefusesDuplicateKeysNamingTheKeyAndPosition() {
        XCTAssertEqual(error("{\n  \"id\": 1,\n  \"id\": 2\n}"), .duplicateKey("id", line: 3, column: 3))
    }

    func testErrorsGiveLineAndColumn() {
        XCTAssertEqual(error("{\n  \"a\": [1,\n    2,]\n}")?.description, "3:7: unexpected ']', expected a value")
        guard case let .syntax(_, line, column)? = error("[\"é\", x]") else { return XCTFail() }
        XCTAssertEqual([line, column], [1, 7])
    }

    func testNestingUpToTheLimitIsAccepted() throws {
        let depth = JSONParser.maxDepth
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        XCTAssertNoThrow(try parse(text))
    }

    func testNestingBeyondTheLimitIsRefused() {
        let depth = JSONParser.maxDepth + 1
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        guard case let .tooDeep(limit, _, _)? = error(text) else { return XCTFail("not refused as too deep") }
        XCTAssertEqual(limit, 64)
        XCTAssertNotNil(error(String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)))
    }

    func testDocumentsLargerThanTheLimitAreRefused() {
        let text = "\"" + String(repeating: "a", count: JSONParser.maxBytes) + "\""
        XCTAssertEqual(error(text), .tooLarge(bytes: JSONParser.maxBytes + 2, limit: 4 * 1024 * 1024))
    }
}
