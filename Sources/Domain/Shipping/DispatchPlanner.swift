/// When an approved order leaves the pharmacy and when it should arrive (API.md, Delivery).
///
/// Working days are Monday to Friday except bank holidays in England and Wales, for dispatch and
/// for delivery alike. Royal Mail does deliver 1st Class on Saturdays, but no estimate counts on it:
/// a Saturday delivery is a pleasant surprise, never a missed promise.
public enum DispatchPlanner {
    /// Approved before 16:00 UK time on a working day → dispatched that day.
    public static let cutOffMinutesAfterMidnight = 16 * 60

    /// The day the pharmacy dispatches an order approved at `approvedAt`: that day if it is a
    /// working day and the approval came before the cut-off, otherwise the next working day.
    public static func dispatchDay(approvedAt: Instant) -> CalendarDay {
        let day = UKTime.localDay(at: approvedAt)
        if BankHolidays.isWorkingDay(day) && UKTime.minutesAfterMidnight(at: approvedAt) < cutOffMinutesAfterMidnight {
            return day
        }
        return BankHolidays.workingDay(after: day)
    }

    /// The usual delivery day: `option.workingDaysToDeliver` working days after dispatch.
    public static func estimatedDelivery(dispatchedOn: CalendarDay, option: DeliveryOption) -> CalendarDay {
        BankHolidays.adding(workingDays: option.workingDaysToDeliver, to: dispatchedOn)
    }
}
