/// A bank holiday in England and Wales: the day and its name as GOV.UK lists it.
public struct BankHoliday: Hashable, Sendable {
    public let day: CalendarDay
    /// "Christmas Day", "Boxing Day (substitute day)".
    public let name: String

    public init(day: CalendarDay, name: String) {
        self.day = day
        self.name = name
    }
}
