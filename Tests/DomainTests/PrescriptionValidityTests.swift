import Domain
import XCTest

private func day(_ text: String) -> CalendarDay { CalendarDay(iso8601: text)! }

private func validUntil(_ date: String) throws -> CalendarDay {
    try PrescriptionParticulars.issued(on: date).prescription().validUntil
}

/// HMR 2012 reg 217(5)(a): a prescription is not dispensed after the end of the period of six
/// months beginning with its date.
final class PrescriptionValidityTests: XCTestCase {
    func testSixMonthsBeginningWithTheDateEndTheDayBeforeTheCorrespondingDay() throws {
        XCTAssertEqual(try validUntil("2026-01-01"), day("2026-06-30"))
        XCTAssertEqual(try validUntil("2026-03-01"), day("2026-08-31"))
        XCTAssertEqual(try validUntil("2026-06-10"), day("2026-12-09"))
        XCTAssertEqual(try validUntil("2026-07-01"), day("2026-12-31"))
        XCTAssertEqual(try validUntil("2026-07-15"), day("2027-01-14"))
        XCTAssertEqual(try validUntil("2026-12-31"), day("2027-06-30"))
        XCTAssertEqual(try validUntil("2026-12-01"), day("2027-05-31"))
    }

    func testWithNoCorrespondingDayTheyEndWithTheMonth() throws {
        XCTAssertEqual(try validUntil("2026-08-31"), day("2027-02-28"))
        XCTAssertEqual(try validUntil("2026-08-30"), day("2027-02-28"))
        XCTAssertEqual(try validUntil("2026-08-29"), day("2027-02-28"))
        XCTAssertEqual(try validUntil("2026-08-28"), day("2027-02-27"))
        XCTAssertEqual(try validUntil("2026-03-31"), day("2026-09-30"))
        XCTAssertEqual(try validUntil("2026-05-31"), day("2026-11-30"))
        XCTAssertEqual(try validUntil("2026-10-31"), day("2027-04-30"))
    }

    func testLeapYearsGiveFebruaryItsTwentyNinthDay() throws {
        XCTAssertEqual(try validUntil("2027-08-31"), day("2028-02-29"))
        XCTAssertEqual(try validUntil("2027-08-30"), day("2028-02-29"))
        XCTAssertEqual(try validUntil("2027-08-29"), day("2028-02-28"))
        XCTAssertEqual(try validUntil("2028-02-29"), day("2028-08-28"))
        XCTAssertEqual(try validUntil("2028-03-01"), day("2028-08-31"))
        XCTAssertEqual(try validUntil("2099-08-31"), day("2100-02-28")) // 2100 is not a leap year
        XCTAssertEqual(try validUntil("2399-08-31"), day("2400-02-29")) // 2400 is
    }

    func testItMayBeDispensedFromItsDateToItsLastDayOnly() throws {
        let prescription = try PrescriptionParticulars.issued(on: "2026-08-31").prescription()
        XCTAssertFalse(prescription.isValid(on: day("2026-08-30")), "before its date")
        XCTAssertTrue(prescription.isValid(on: day("2026-08-31")))
        XCTAssertTrue(prescription.isValid(on: day("2026-12-25")))
        XCTAssertTrue(prescription.isValid(on: day("2027-02-28")))
        XCTAssertFalse(prescription.isValid(on: day("2027-03-01")), "expired")
        XCTAssertFalse(prescription.isValid(on: day("2028-01-01")))
    }

    func testEveryDateOfFourYearsGivesAPeriodOfSixMonths() throws {
        var date = day("2026-01-01")
        while date < day("2030-01-01") {
            let last = try validUntil(date.description)
            XCTAssertGreaterThanOrEqual(last.daysSinceEpoch - date.daysSinceEpoch + 1, 181, "\(date)")
            XCTAssertLessThanOrEqual(last.daysSinceEpoch - date.daysSinceEpoch + 1, 184, "\(date)")
            let monthsLater = (last.year - date.year) * 12 + last.month - date.month
            XCTAssertTrue(monthsLater == 5 || monthsLater == 6, "\(date) → \(last)")
            XCTAssertLessThanOrEqual(try validUntil(date.description), try validUntil(date.adding(days: 1).description))
            date = date.adding(days: 1)
        }
    }
}
