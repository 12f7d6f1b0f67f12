/// A date on the proleptic Gregorian calendar, with no time of day or zone: a UK business day,
/// a bank holiday, an estimated delivery date.
public struct CalendarDay: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    /// 1 (January) … 12 (December).
    public let month: Int
    /// 1 … the number of days in the month.
    public let day: Int

    /// The day `year`-`month`-`day`; the date must exist (`CalendarDay.valid` checks untrusted input).
    public init(year: Int, month: Int, day: Int) {
        precondition(CalendarDay.isValid(year: year, month: month, day: day), "no such date: \(year)-\(month)-\(day)")
        self.year = year
        self.month = month
        self.day = day
    }

    /// The day, or nil when the date does not exist (30 February).
    public static func valid(year: Int, month: Int, day: Int) -> CalendarDay? {
        isValid(year: year, month: month, day: day) ? CalendarDay(year: year, month: month, day: day) : nil
    }

    /// Parses "2026-12-24" (ISO 8601 calendar date, four-digit year); nil for anything else.
    public init?(iso8601 text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              CalendarDay.isValid(year: year, month: month, day: day) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The day `daysSinceEpoch` days after 1970-01-01 (negative: before it).
    public init(daysSinceEpoch: Int) {
        // Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms", civil_from_days: eras of
        // 400 years (146 097 days), years counted from 1 March so that 29 February comes last.
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        self.init(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    /// Days from 1970-01-01 to this day (negative before it).
    public var daysSinceEpoch: Int {
        // Hinnant's days_from_civil, the inverse of `init(daysSinceEpoch:)`.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// ISO 8601 weekday: 1 Monday … 7 Sunday.
    public var weekday: Int {
        // 1970-01-01 was a Thursday (4).
        let fromMonday = ((daysSinceEpoch + 3) % 7 + 7) % 7
        return fromMonday + 1
    }

    /// Saturday or Sunday.
    public var isWeekend: Bool { weekday >= 6 }

    /// The day `days` days later (earlier when negative).
    public func adding(days: Int) -> CalendarDay {
        CalendarDay(daysSinceEpoch: daysSinceEpoch + days)
    }

    /// "2026-12-24".
    public var description: String {
        let yearText = String(year)
        let paddedYear = year >= 0 && year < 1000 ? String(repeating: "0", count: 4 - yearText.count) + yearText : yearText
        return "\(paddedYear)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
    }

    public static func < (lhs: CalendarDay, rhs: CalendarDay) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Whether `year` has a 29 February.
    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// 28 … 31.
    public static func numberOfDays(inMonth month: Int, year: Int) -> Int {
        precondition((1...12).contains(month), "no month \(month)")
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The first `weekday` (ISO, 1 Monday … 7 Sunday) of a month: the first Monday in May.
    public static func first(weekday: Int, inMonth month: Int, year: Int) -> CalendarDay {
        precondition((1...7).contains(weekday), "no weekday \(weekday)")
        let first = CalendarDay(year: year, month: month, day: 1)
        return first.adding(days: (weekday - first.weekday + 7) % 7)
    }

    /// The last `weekday` (ISO) of a month: the last Sunday in March, the last Monday in August.
    public static func last(weekday: Int, inMonth month: Int, year: Int) -> CalendarDay {
        precondition((1...7).contains(weekday), "no weekday \(weekday)")
        let last = CalendarDay(year: year, month: month, day: numberOfDays(inMonth: month, year: year))
        return last.adding(days: -((last.weekday - weekday + 7) % 7))
    }

    private static func isValid(year: Int, month: Int, day: Int) -> Bool {
        (1...12).contains(month) && day >= 1 && day <= numberOfDays(inMonth: month, year: year)
    }
}
