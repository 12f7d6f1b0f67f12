import XCTest
@testable import RPCCore

final class PercentEncodingTests: XCTestCase {
    func testPrintableASCIIIsSentAsItIs() {
        let text = "Prescription 42 not found: check the ID (a-z, 0-9) ~!"
        XCTAssertEqual(PercentEncoding.encodeMessage(text), text)
    }

    func testPercentAndNonPrintableBytesAreEscapedInUpperCaseHex() {
        XCTAssertEqual(PercentEncoding.encodeMessage("100%"), "100%25")
        XCTAssertEqual(PercentEncoding.encodeMessage("line1\nline2\t\u{7F}"), "line1%0Aline2%09%7F")
        XCTAssertEqual(PercentEncoding.encodeMessage("café €"), "caf%C3%A9 %E2%82%AC")
        XCTAssertEqual(PercentEncoding.encodeMessage(""), "")
    }

    func testDecodingReversesEncoding() {
        for text in ["", "plain", "100% sure", "naïve 日本語 🚚", "\u{0}\u{1F}\r\n", "%%%", "%41"] {
            XCTAssertEqual(PercentEncoding.decodeMessage(PercentEncoding.encodeMessage(text)), text)
        }
    }

    func testDecodingAcceptsLowerCaseHex() {
        XCTAssertEqual(PercentEncoding.decodeMessage("caf%c3%a9"), "café")
    }

    func testInvalidSequencesAreKeptLiterally() {
        XCTAssertEqual(PercentEncoding.decodeMessage("50%"), "50%")
        XCTAssertEqual(PercentEncoding.decodeMessage("50%2"), "50%2")
        XCTAssertEqual(PercentEncoding.decodeMessage("%zz%4"), "%zz%4")
        XCTAssertEqual(PercentEncoding.decodeMessage("%%41"), "%A")
    }

    func testInvalidUTF8BecomesReplacementCharacters() {
        XCTAssertEqual(PercentEncoding.decodeMessage("bad %FF byte"), "bad \u{FFFD} byte")
        XCTAssertEqual(PercentEncoding.decodeMessage("cut %E2%82"), "cut \u{FFFD}")
    }
}
