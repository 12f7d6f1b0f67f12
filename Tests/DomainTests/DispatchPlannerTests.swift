import XCTest
import Domain

private func day(_ text: String) -> CalendarDay { CalendarDay(iso8601: text)! }

/// The UK clock reads `hour`:`minute` on `date`.
private func ukTime(_ date: String, _ hour: Int, _ minute: Int) -> Instant {
    UKTime.instant(of: day(date), hour: hour, minute: minute)
}

/// Approved before 4 pm on a working day → dispatched that day; delivered working days later.
final class DispatchPlannerTests: XCTestCase {
    private let firstClass = DeliveryOption(id: DeliveryOptionID("royal-mail-1st-class"), name: "Royal Mail 1st Class",
                                            priceInPence: Pence(290), workingDaysToDeliver: 1, guaranteedNextDay: false,
                                            signatureRequired: false, courierServiceCode: "CRL1")
    private let secondClass = DeliveryOption(id: DeliveryOptionID("royal-mail-2nd-class"), name: "Royal Mail 2nd Class",
                                             priceInPence: Pence(200), workingDaysToDeliver: 3, guaranteedNextDay: false,
                                             signatureRequired: false, courierServiceCode: "CRL2")

    func testApprovedAt1559InWinterGoesTheSameDay() {
        XCTAssertEqual(DispatchPlanner.dispatchDay(approvedAt: ukTime("2026-01-14", 15, 59)), day("2026-01-14"))
    }

    func testApprovedAt1600InWinterGoesTheNextWorkingDay() {
        XCTAssertEqual(DispatchPlanner.dispatchDay(approvedAt: ukTime("2026-01-14", 16, 0)), day("2026-01-15"))
    }

    func testTheCutOffIsUKTimeInSummerNotUTC() {
        XCTAssertEqual(DispatchPlanner.dispatchDay(approvedAt: ukTime("2026-07-15", 15, 59)), day("2026-07-15"))
        XCTAssertEqual(DispatchPlanner.dispatchDay(approvedAt: ukTime("2026-07-15", 16, 0)), day("2026-07-16"))
        // 15:30 UTC is 16:30 BST: too late.
        let halfPastThreeUTC = Instant(microsecondsSinceEpoch: (Int64(day("2026-07-15").daysSinceEpoch) * 86_400 + 15 * 3600 + 1800) * 1_000_000)
        XCTAssertEqual(DispatchPlanner.dispatchDay(approvedAt: halfPastThreeUTC), day("2026-07-16"))
    }

    func testApprovedOnFridayAfterFourGoesOnMonday() {
        XCTAssertEqual(DispatchPlanner.dispatchDay(approvedAt: ukTime("2026-01-09", 16, 30)), day("2026-01-12"))
    }

    func testApprovedOnFridayAfterFourBeforeABankHolidayMondayGoesOnTuesday() {
        XCTAssertEqual(DispatchPlanner.dispatchDay(approvedAt: ukTime("2026-05-22", 17, 0)), day("2026-05-26"))
        XCTAssertEqual(DispatchPlanner.dispatchDay(approvedAt: ukTime("2026-08-28", 16, 0)), day("2026-09-01"))
    }

    func testApprovedAtTheWeekendOrOnABankHolidayGoesOnTheNextWorkingDay() {
        XCTAssertEqual(DispatchPlanner.dispatchDay(approvedAt: ukTime("2026-01-10", 9, 0)), day("2026-01-12"))
        XCTAssertEqual(DispatchPlanner.dispatchDay(approvedAt: ukTime("2026-04-06", 9, 0)), day("2026-04-07"))
        XCTAssertEqual(DispatchPlanner.dispatchDay(approvedAt: ukTime("2026-04-02", 16, 0)), day("2026-04-07"))
        XCTAssertEqual(DispatchPlanner.dispatchDay(approvedAt: ukTime("2026-12-24", 16, 0)), day("2026-12-29"))
    }

    func testApprovedJustAfterMidnightCountsAsThatUKDay() {
        // 00:30 BST on Wednesday 15 July is 23:30 UTC on Tuesday.
        XCTAssertEqual(DispatchPlanner.dispatchDay(approvedAt: ukTime("2026-07-15", 0, 30)), day("2026-07-15"))
    }

    func testFirstClassArrivesTheNextWorkingDay() {
        XCTAssertEqual(DispatchPlanner.estimatedDelivery(dispatchedOn: day("2026-01-14"), option: firstClass), day("2026-01-15"))
        XCTAssertEqual(DispatchPlanner.estimatedDelivery(dispatchedOn: day("2026-01-09"), option: firstClass), day("2026-01-12"))
        XCTAssertEqual(DispatchPlanner.estimatedDelivery(dispatchedOn: day("2026-05-22"), option: firstClass), day("2026-05-26"))
        XCTAssertEqual(DispatchPlanner.estimatedDelivery(dispatchedOn: day("2026-12-24"), option: firstClass), day("2026-12-29"))
    }

    func testSlowerServicesCountOnlyWorkingDays() {
        XCTAssertEqual(DispatchPlanner.estimatedDelivery(dispatchedOn: day("2026-04-02"), option: secondClass), day("2026-04-09"))
    }
}
