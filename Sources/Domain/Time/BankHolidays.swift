/// The bank holidays of England and Wales and the working days they leave: the pharmacy dispatches
/// and Royal Mail delivers on working days only.
///
/// The regular holidays follow the Banking and Financial Dealings Act 1971 as amended (early May
/// since 1978) and are computed for any year; one-off changes made by Royal Proclamation are listed
/// in `proclaimedChanges`.
public enum BankHolidays {
    /// The bank holidays of `year`, in date order.
    public static func holidays(in year: Int) -> [BankHoliday] {
        var holidays = regularHolidays(in: year)
        for change in proclaimedChanges where change.day.year == year {
            if let movedFrom = change.replaces {
                holidays.removeAll { $0.day == movedFrom }
            }
            holidays.append(BankHoliday(day: change.day, name: change.name))
        }
        return holidays.sorted { $0.day < $1.day }
    }

    /// Whether `day` is a bank holiday in England and Wales.
    public static func isBankHoliday(_ day: CalendarDay) -> Bool {
        holidays(in: day.year).contains { $0.day == day }
    }

    /// Monday to Friday and not a bank holiday.
    public static func isWorkingDay(_ day: CalendarDay) -> Bool {
        !day.isWeekend && !isBankHoliday(day)
    }

    /// The first working day after `day`.
    public static func workingDay(after day: CalendarDay) -> CalendarDay {
        var candidate = day.adding(days: 1)
        // Runs of non-working days are at most four long (Good Friday to Easter Monday, Christmas on
        // a Friday to the Monday substitute); the bound catches a broken table, not a real calendar.
        for _ in 0..<maxConsecutiveNonWorkingDays {
            if isWorkingDay(candidate) { return candidate }
            candidate = candidate.adding(days: 1)
        }
        preconditionFailure("more than \(maxConsecutiveNonWorkingDays) non-working days after \(day)")
    }

    /// The working day `workingDays` working days after `day` (`day` itself for 0).
    public static func adding(workingDays: Int, to day: CalendarDay) -> CalendarDay {
        precondition(workingDays >= 0, "negative working days")
        var result = day
        for _ in 0..<workingDays { result = workingDay(after: result) }
        return result
    }

    /// One-off changes by Royal Proclamation: an extra holiday, or a regular one moved.
    public struct ProclaimedChange: Hashable, Sendable {
        public let day: CalendarDay
        public let name: String
        /// The regular holiday this one replaces, if it was moved rather than added.
        public let replaces: CalendarDay?
    }

    /// Every one-off change since 1995.
    public static let proclaimedChanges: [ProclaimedChange] = [
        moved("1995-05-01", to: "1995-05-08", name: "Early May bank holiday (VE day)"),
        added("1999-12-31", name: "Millennium celebrations"),
        moved("2002-05-27", to: "2002-06-04", name: "Spring bank holiday"),
        added("2002-06-03", name: "Golden Jubilee bank holiday"),
        added("2011-04-29", name: "Wedding of Prince William and Catherine Middleton"),
        moved("2012-05-28", to: "2012-06-04", name: "Spring bank holiday"),
        added("2012-06-05", name: "Queen's Diamond Jubilee"),
        moved("2020-05-04", to: "2020-05-08", name: "Early May bank holiday (VE day)"),
        moved("2022-05-30", to: "2022-06-02", name: "Spring bank holiday"),
        added("2022-06-03", name: "Platinum Jubilee bank holiday"),
        added("2022-09-19", name: "State Funeral of Queen Elizabeth II"),
        added("2023-05-08", name: "Bank holiday for the coronation of King Charles III"),
    ]

    /// Easter Sunday of `year` on the Gregorian calendar (the anonymous Gregorian computus, as
    /// given by Meeus, "Astronomical Algorithms").
    public static func easterSunday(in year: Int) -> CalendarDay {
        let a = year % 19
        let b = year / 100, c = year % 100
        let d = b / 4, e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let monthAndDay = h + l - 7 * m + 114
        return CalendarDay(year: year, month: monthAndDay / 31, day: monthAndDay % 31 + 1)
    }

    private static let maxConsecutiveNonWorkingDays = 10

    private static func regularHolidays(in year: Int) -> [BankHoliday] {
        let easter = easterSunday(in: year)
        var holidays = [
            BankHoliday(day: easter.adding(days: -2), name: "Good Friday"),
            BankHoliday(day: easter.adding(days: 1), name: "Easter Monday"),
            BankHoliday(day: CalendarDay.first(weekday: 1, inMonth: 5, year: year), name: "Early May bank holiday"),
            BankHoliday(day: CalendarDay.last(weekday: 1, inMonth: 5, year: year), name: "Spring bank holiday"),
            BankHoliday(day: CalendarDay.last(weekday: 1, inMonth: 8, year: year), name: "Summer bank holiday"),
        ]
        holidays += withSubstitutes([(CalendarDay(year: year, month: 1, day: 1), "New Year's Day")])
        holidays += withSubstitutes([
            (CalendarDay(year: year, month: 12, day: 25), "Christmas Day"),
            (CalendarDay(year: year, month: 12, day: 26), "Boxing Day"),
        ])
        return holidays
    }

    /// Fixed-date holidays with substitute days: one falling at a weekend is taken on the next
    /// weekday not already a holiday (Christmas on Saturday → Monday 27, Boxing Day on Sunday →
    /// Tuesday 28; Christmas on Sunday → Tuesday 27, as Boxing Day keeps Monday 26).
    private static func withSubstitutes(_ fixed: [(day: CalendarDay, name: String)]) -> [BankHoliday] {
        var taken = fixed.filter { !$0.day.isWeekend }.map { BankHoliday(day: $0.day, name: $0.name) }
        for holiday in fixed where holiday.day.isWeekend {
            var substitute = holiday.day.adding(days: 1)
            while substitute.isWeekend || taken.contains(where: { $0.day == substitute }) {
                substitute = substitute.adding(days: 1)
            }
            taken.append(BankHoliday(day: substitute, name: "\(holiday.name) (substitute day)"))
        }
        return taken
    }

    private static func moved(_ from: String, to day: String, name: String) -> ProclaimedChange {
        ProclaimedChange(day: CalendarDay(iso8601: day)!, name: name, replaces: CalendarDay(iso8601: from)!)
    }

    private static func added(_ day: String, name: String) -> ProclaimedChange {
        ProclaimedChange(day: CalendarDay(iso8601: day)!, name: name, replaces: nil)
    }
}
