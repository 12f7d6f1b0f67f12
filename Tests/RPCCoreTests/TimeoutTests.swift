import XCTest
@testable import RPCCore

final class TimeoutTests: XCTestCase {
    func testParsesEveryUnit() {
        XCTAssertEqual(GRPCTimeout.parse("2H"), .seconds(7_200))
        XCTAssertEqual(GRPCTimeout.parse("3M"), .seconds(180))
        XCTAssertEqual(GRPCTimeout.parse("10S"), .seconds(10))
        XCTAssertEqual(GRPCTimeout.parse("250m"), .milliseconds(250))
        XCTAssertEqual(GRPCTimeout.parse("7u"), .microseconds(7))
        XCTAssertEqual(GRPCTimeout.parse("1n"), .nanoseconds(1))
        XCTAssertEqual(GRPCTimeout.parse("0S"), .zero)
    }

    func testParsesEightDigitsAndLeadingZeros() {
        XCTAssertEqual(GRPCTimeout.parse("99999999H"), .seconds(Int64(99_999_999) * 3_600))
        XCTAssertEqual(GRPCTimeout.parse("00000001m"), .milliseconds(1))
    }

    func testRejectsMalformedValues() {
        for value in ["", "S", "1", "123", "999999999S", "000000001S", "+1S", "-1S", " 1S", "1S ", "1 S",
                      "1s", "1h", "1x", "1.5S", "1SS", "١S", "1S\u{0}", "0x1S"] {
            XCTAssertNil(GRPCTimeout.parse(value), "\(value.debugDescription) should be rejected")
        }
    }

    func testEncodesWithTheFinestUnitThatFits() {
        XCTAssertEqual(GRPCTimeout.encode(.nanoseconds(1)), "1n")
        XCTAssertEqual(GRPCTimeout.encode(.nanoseconds(99_999_999)), "99999999n")
        XCTAssertEqual(GRPCTimeout.encode(.milliseconds(100)), "100000u")
        XCTAssertEqual(GRPCTimeout.encode(.seconds(1)), "1000000u")
        XCTAssertEqual(GRPCTimeout.encode(.seconds(30)), "30000000u")
        XCTAssertEqual(GRPCTimeout.encode(.seconds(99_999)), "99999000m")
        XCTAssertEqual(GRPCTimeout.encode(.seconds(100_000)), "100000S")
        XCTAssertEqual(GRPCTimeout.encode(.seconds(99_999_999)), "99999999S")
        XCTAssertEqual(GRPCTimeout.encode(.seconds(100_000_000)), "1666667M")
        XCTAssertEqual(GRPCTimeout.encode(.seconds(Int64(99_999_999) * 60 + 1)), "1666667H")
        XCTAssertEqual(GRPCTimeout.encode(.seconds(Int64(99_999_999) * 3_600)), "99999999H")
    }

    func testEncodingRoundsUpSoTheDeadlineNeverShrinks() {
        XCTAssertEqual(GRPCTimeout.encode(.nanoseconds(100_000_001)), "100001u")
        XCTAssertEqual(GRPCTimeout.encode(.seconds(100_000) + .nanoseconds(1)), "100001S")
        XCTAssertEqual(GRPCTimeout.encode(Duration(secondsComponent: 0, attosecondsComponent: 1)), "1n")
        for nanoseconds: Int64 in [1, 999, 1_001, 123_456_789, 5_000_000_001, 86_400_000_000_123] {
            let duration = Duration.nanoseconds(nanoseconds)
            let encoded = GRPCTimeout.encode(duration)
            XCTAssertLessThanOrEqual(encoded.utf8.count, 9)
            XCTAssertGreaterThanOrEqual(GRPCTimeout.parse(encoded)!, duration, encoded)
        }
    }

    func testEncodingClampsAndFloors() {
        XCTAssertEqual(GRPCTimeout.encode(.zero), "0n")
        XCTAssertEqual(GRPCTimeout.encode(.seconds(-5)), "0n")
        XCTAssertEqual(GRPCTimeout.encode(.seconds(Int64.max)), "99999999H")
    }

    func testEncodedValuesParseBack() {
        for duration: Duration in [.nanoseconds(42), .microseconds(1_500), .milliseconds(20), .seconds(3_600)] {
            XCTAssertEqual(GRPCTimeout.parse(GRPCTimeout.encode(duration)), duration)
        }
    }
}
