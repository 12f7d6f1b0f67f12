import XCTest
import Domain

private func day(_ text: String) -> CalendarDay { CalendarDay(iso8601: text)! }

/// The instant a UTC clock reads `hour`:`minute` on `date`.
private func utc(_ date: String, _ hour: Int, _ minute: Int) -> Instant {
    Instant(microsecondsSinceEpoch: (Int64(day(date).daysSinceEpoch) * 86_400 + Int64(hour * 3600 + minute * 60)) * 1_000_000)
}

/// Calendar arithmetic: days, weekdays, months.
final class CalendarDayTests: XCTestCase {
    func testDaysCountFromTheUnixEpoch() {
        XCTAssertEqual(day("1970-01-01").daysSinceEpoch, 0)
        XCTAssertEqual(day("2026-01-01").daysSinceEpoch, 20_454) // 1 767 225 600 s
        XCTAssertEqual(day("1969-12-31").daysSinceEpoch, -1)
        XCTAssertEqual(day("2000-03-01").daysSinceEpoch, 11_017)
        XCTAssertEqual(CalendarDay(daysSinceEpoch: 20_454), day("2026-01-01"))
        XCTAssertEqual(CalendarDay(daysSinceEpoch: -719_468), day("0000-03-01"))
    }

    func testEveryDayRoundTripsOverFourCenturies() {
        var previous = CalendarDay(daysSinceEpoch: -80_000)
        for days in -79_999...80_000 {
            let next = CalendarDay(daysSinceEpoch: days)
            XCTAssertEqual(next.daysSinceEpoch, days)
            XCTAssertLessThan(previous, next)
            previous = next
        }
    }

    func testWeekdaysAreISO() {
        XCTAssertEqual(day("1970-01-01").weekday, 4) // Thursday
        XCTAssertEqual(day("2026-01-01").weekday, 4)
        XCTAssertEqual(day("2026-12-25").weekday, 5) // Friday
        XCTAssertEqual(day("2026-12-27").weekday, 7) // Sunday
        XCTAssertEqual(day("2026-12-28").weekday, 1) // Monday
        XCTAssertEqual(day("1969-12-29").weekday, 1)
        XCTAssertTrue(day("2026-12-26").isWeekend)
        XCTAssertFalse(day("2026-12-28").isWeekend)
    }

    func testAddingDaysCrossesMonthsYearsAndLeapDays() {
        XCTAssertEqual(day("2026-12-24").adding(days: 8), day("2027-01-01"))
        XCTAssertEqual(day("2028-02-28").adding(days: 1), day("2028-02-29"))
        XCTAssertEqual(day("2100-02-28").adding(days: 1), day("2100-03-01"))
        XCTAssertEqual(day("2000-02-28").adding(days: 1), day("2000-02-29"))
        XCTAssertEqual(day("2026-03-01").adding(days: -1), day("2026-02-28"))
    }

    func testDaysPrintAsISODates() {
        XCTAssertEqual(day("2026-12-24").description, "2026-12-24")
        XCTAssertEqual(CalendarDay(year: 2027, month: 1, day: 5).description, "2027-01-05")
        XCTAssertEqual(CalendarDay(year: 999, month: 1, day: 5).description, "0999-01-05")
    }

    func testOnlyRealDatesParse() {
        XCTAssertNil(CalendarDay(iso8601: "2026-02-29"))
        XCTAssertNil(CalendarDay(iso8601: "2026-13-01"))
        XCTAssertNil(CalendarDay(iso8601: "2026-1-01"))
        XCTAssertNil(CalendarDay(iso8601: "26-01-01"))
        XCTAssertNil(CalendarDay(iso8601: "2026/01/01"))
        XCTAssertNotNil(CalendarDay(iso8601: "2028-02-29"))
        XCTAssertNil(CalendarDay.valid(year: 2026, month: 4, day: 31))
        XCTAssertEqual(CalendarDay.valid(year: 2026, month: 4, day: 30), day("2026-04-30"))
    }

    func testFirstAndLastWeekdaysOfAMonth() {
        XCTAssertEqual(CalendarDay.first(weekday: 1, inMonth: 5, year: 2026), day("2026-05-04"))
        XCTAssertEqual(CalendarDay.last(weekday: 1, inMonth: 5, year: 2026), day("2026-05-25"))
        XCTAssertEqual(CalendarDay.last(weekday: 7, inMonth: 3, year: 2026), day("2026-03-29"))
        XCTAssertEqual(CalendarDay.last(weekday: 7, inMonth: 10, year: 2026), day("2026-10-25"))
        XCTAssertEqual(CalendarDay.last(weekday: 5, inMonth: 7, year: 2026), day("2026-07-31")) // the last day itself
    }
}

/// UK local time: GMT in winter, BST in summer.
final class CalendarUKTimeTests: XCTestCase {
    func testSummerTimeStartsAtOneUTCOnTheLastSundayInMarch2026() {
        XCTAssertEqual(UKTime.utcOffsetMinutes(at: utc("2026-03-29", 0, 59)), 0)
        XCTAssertEqual(UKTime.minutesAfterMidnight(at: utc("2026-03-29", 0, 59)), 59)
        XCTAssertEqual(UKTime.utcOffsetMinutes(at: utc("2026-03-29", 1, 0)), 60)
        XCTAssertEqual(UKTime.minutesAfterMidnight(at: utc("2026-03-29", 1, 0)), 120) // the clock shows 02:00
    }

    func testSummerTimeEndsAtOneUTCOnTheLastSundayInOctober2026() {
        XCTAssertTrue(UKTime.isSummerTime(at: utc("2026-10-25", 0, 59)))
        XCTAssertEqual(UKTime.minutesAfterMidnight(at: utc("2026-10-25", 0, 59)), 119) // 01:59 BST
        XCTAssertFalse(UKTime.isSummerTime(at: utc("2026-10-25", 1, 0)))
        XCTAssertEqual(UKTime.minutesAfterMidnight(at: utc("2026-10-25", 1, 0)), 60) // 01:00 GMT again
    }

    func testWinterIsGMT() {
        XCTAssertEqual(UKTime.utcOffsetMinutes(at: utc("2026-01-14", 12, 0)), 0)
        XCTAssertEqual(UKTime.utcOffsetMinutes(at: utc("2026-12-31", 23, 59)), 0)
        XCTAssertEqual(UKTime.localDay(at: utc("2026-12-31", 23, 59)), day("2026-12-31"))
        XCTAssertEqual(UKTime.minutesAfterMidnight(at: utc("2026-01-14", 15, 59)), 959)
    }

    func testASummerEveningInUTCIsAlreadyTomorrowInTheUK() {
        XCTAssertEqual(UKTime.localDay(at: utc("2026-06-30", 23, 30)), day("2026-07-01"))
        XCTAssertEqual(UKTime.minutesAfterMidnight(at: utc("2026-06-30", 23, 30)), 30)
    }

    func testOtherYearsSwitchOnTheirOwnLastSundays() {
        XCTAssertEqual(UKTime.summerTime(in: 2027).start, utc("2027-03-28", 1, 0))
        XCTAssertEqual(UKTime.summerTime(in: 2027).end, utc("2027-10-31", 1, 0))
        XCTAssertEqual(UKTime.summerTime(in: 2025).start, utc("2025-03-30", 1, 0))
        XCTAssertEqual(UKTime.summerTime(in: 2025).end, utc("2025-10-26", 1, 0))
    }

    func testLocalTimesConvertToUTC() {
        XCTAssertEqual(UKTime.instant(of: day("2026-01-14"), hour: 16, minute: 0), utc("2026-01-14", 16, 0))
        XCTAssertEqual(UKTime.instant(of: day("2026-07-15"), hour: 16, minute: 0), utc("2026-07-15", 15, 0))
        XCTAssertEqual(UKTime.instant(of: day("2026-07-15"), hour: 0, minute: 30), utc("2026-07-14", 23, 30))
    }

    func testTheSkippedHourInMarchIsReadAsGMT() {
        XCTAssertEqual(UKTime.instant(of: day("2026-03-29"), hour: 1, minute: 30), utc("2026-03-29", 1, 30))
        XCTAssertEqual(UKTime.instant(of: day("2026-03-29"), hour: 0, minute: 59), utc("2026-03-29", 0, 59))
        XCTAssertEqual(UKTime.instant(of: day("2026-03-29"), hour: 2, minute: 0), utc("2026-03-29", 1, 0))
    }

    func testTheRepeatedHourInOctoberIsItsFirstBSTReading() {
        XCTAssertEqual(UKTime.instant(of: day("2026-10-25"), hour: 1, minute: 30), utc("2026-10-25", 0, 30))
        XCTAssertEqual(UKTime.instant(of: day("2026-10-25"), hour: 0, minute: 30), utc("2026-10-24", 23, 30))
        XCTAssertEqual(UKTime.instant(of: day("2026-10-25"), hour: 2, minute: 0), utc("2026-10-25", 2, 0))
    }

    func testLocalTimesRoundTripAcrossAYear() {
        var date = day("2026-01-01")
        while date.year == 2026 {
            for (hour, minute) in [(0, 0), (1, 0), (2, 0), (12, 34), (23, 59)] {
                let instant = UKTime.instant(of: date, hour: hour, minute: minute)
                let skipped = date == day("2026-03-29") && hour == 1
                XCTAssertEqual(UKTime.localDay(at: instant), date, "\(date) \(hour):\(minute)")
                XCTAssertEqual(UKTime.minutesAfterMidnight(at: instant), skipped ? (hour + 1) * 60 + minute : hour * 60 + minute,
                               "\(date) \(hour):\(minute)")
            }
            date = date.adding(days: 1)
        }
    }
}

/// Bank holidays in England and Wales.
final class CalendarBankHolidayTests: XCTestCase {
    private func holidays(_ year: Int) -> [String] { BankHolidays.holidays(in: year).map(\.day.description) }

    func testTheBankHolidaysOf2026() {
        XCTAssertEqual(holidays(2026), ["2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25",
                                        "2026-08-31", "2026-12-25", "2026-12-28"])
        XCTAssertEqual(BankHolidays.holidays(in: 2026).last?.name, "Boxing Day (substitute day)")
    }

    func testChristmasOnASaturdayIn2027MovesBothHolidays() {
        XCTAssertEqual(holidays(2027), ["2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31",
                                        "2027-08-30", "2027-12-27", "2027-12-28"])
        XCTAssertEqual(BankHolidays.holidays(in: 2027).suffix(2).map(\.name),
                       ["Christmas Day (substitute day)", "Boxing Day (substitute day)"])
    }

    func testChristmasOnASundayLeavesBoxingDayOnMonday() {
        // 2022: Christmas Sunday → Boxing Day Monday 26, Christmas substitute Tuesday 27.
        XCTAssertEqual(BankHolidays.holidays(in: 2022).suffix(2).map(\.day.description), ["2022-12-26", "2022-12-27"])
        XCTAssertEqual(BankHolidays.holidays(in: 2022).suffix(2).map(\.name), ["Boxing Day", "Christmas Day (substitute day)"])
    }

    func testNewYearsDayAtAWeekendMovesToMonday() {
        XCTAssertEqual(holidays(2022).first, "2022-01-03") // Saturday
        XCTAssertEqual(holidays(2023).first, "2023-01-02") // Sunday
    }

    func testTheOneOffChangesOf2022And2023() {
        XCTAssertEqual(holidays(2022), ["2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02", "2022-06-02",
                                        "2022-06-03", "2022-08-29", "2022-09-19", "2022-12-26", "2022-12-27"])
        XCTAssertEqual(holidays(2023), ["2023-01-02", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08",
                                        "2023-05-29", "2023-08-28", "2023-12-25", "2023-12-26"])
    }

    func testTheEarlyMayHolidayOf2020MovedToFridayEighthForVEDay() {
        XCTAssertEqual(holidays(2020), ["2020-01-01", "2020-04-10", "2020-04-13", "2020-05-08", "2020-05-25",
                                        "2020-08-31", "2020-12-25", "2020-12-28"])
    }

    func testEasterFollowsTheGregorianComputus() {
        let known = ["2019-04-21", "2024-03-31", "2025-04-20", "2026-04-05", "2027-03-28", "2038-04-25", "2285-03-22", "1818-03-22"]
        for text in known {
            XCTAssertEqual(BankHolidays.easterSunday(in: day(text).year), day(text))
        }
    }

    func testEveryYearHasEightRegularHolidays() {
        for year in 2024...2100 where !BankHolidays.proclaimedChanges.contains(where: { $0.day.year == year }) {
            let days = BankHolidays.holidays(in: year).map(\.day)
            XCTAssertEqual(days.count, 8, "\(year)")
            XCTAssertTrue(days.allSatisfy { !$0.isWeekend }, "\(year)")
        }
    }

    func testWorkingDaysAreWeekdaysThatAreNotBankHolidays() {
        XCTAssertTrue(BankHolidays.isWorkingDay(day("2026-12-24")))
        XCTAssertFalse(BankHolidays.isWorkingDay(day("2026-12-25")))
        XCTAssertFalse(BankHolidays.isWorkingDay(day("2026-12-26")))
        XCTAssertFalse(BankHolidays.isWorkingDay(day("2026-12-28")))
        XCTAssertTrue(BankHolidays.isWorkingDay(day("2026-12-29")))
        XCTAssertEqual(BankHolidays.workingDay(after: day("2026-12-24")), day("2026-12-29"))
        XCTAssertEqual(BankHolidays.workingDay(after: day("2026-04-02")), day("2026-04-07"))
        XCTAssertEqual(BankHolidays.adding(workingDays: 3, to: day("2026-12-23")), day("2026-12-30"))
        XCTAssertEqual(BankHolidays.adding(workingDays: 0, to: day("2026-12-25")), day("2026-12-25"))
    }
}
