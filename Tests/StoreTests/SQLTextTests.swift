import XCTest
@testable import Store

/// Finding the `$n` parameters a PostgreSQL statement uses (checked before it is sent, so both
/// engines refuse a parameter count that does not match).
final class SQLTextTests: XCTestCase {
    func testParametersAreFoundOutsideLiteralsCommentsAndDollarQuotes() {
        XCTAssertEqual(SQLText.parameterNumbers(in: "SELECT * FROM t WHERE a = $1 AND b IN ($2, $10)"), [1, 2, 10])
        XCTAssertEqual(SQLText.parameterNumbers(in: "SELECT '$1', \"$2\" FROM t WHERE a = $3 -- $4\n AND b = $5 /* $6 */"), [3, 5])
        XCTAssertEqual(SQLText.parameterNumbers(in: "SELECT 'it''s $1' || $2"), [2])
        XCTAssertEqual(SQLText.parameterNumbers(in: "DO $body$ SELECT $1 $body$; SELECT $$ $2 $$, $3"), [3])
        XCTAssertEqual(SQLText.parameterNumbers(in: "SELECT 1"), [])
    }

    func testExcerptsAreOneLineAndBounded() {
        XCTAssertEqual(SQLText.excerpt("SELECT a\n   FROM t\n"), "SELECT a FROM t")
        XCTAssertEqual(SQLText.excerpt(String(repeating: "x", count: 500)).count, 201)
    }
}
