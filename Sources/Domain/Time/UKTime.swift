/// UK civil time (Europe/London): GMT in winter, British Summer Time (UTC+1) in summer. The
/// business clock for cut-offs, dispatch days and dates shown to customers (API.md, Conventions).
public enum UKTime {
    /// The Summer Time Order 2002 rule: BST from 01:00 UTC on the last Sunday in March to 01:00 UTC
    /// on the last Sunday in October. Computed for every year; the zone's history before 2002 is
    /// not modelled.
    public static func utcOffsetMinutes(at instant: Instant) -> Int {
        let utcDay = CalendarDay(daysSinceEpoch: floorDays(instant.microsecondsSinceEpoch))
        let (start, end) = summerTime(in: utcDay.year)
        return instant >= start && instant < end ? 60 : 0
    }

    /// Whether British Summer Time is in force at `instant`.
    public static func isSummerTime(at instant: Instant) -> Bool { utcOffsetMinutes(at: instant) == 60 }

    /// The first and the first-after-last instants of British Summer Time in `year`.
    public static func summerTime(in year: Int) -> (start: Instant, end: Instant) {
        let start = CalendarDay.last(weekday: 7, inMonth: 3, year: year)
        let end = CalendarDay.last(weekday: 7, inMonth: 10, year: year)
        return (utcInstant(day: start, minutesAfterMidnight: 60), utcInstant(day: end, minutesAfterMidnight: 60))
    }

    /// The UK calendar day at `instant`.
    public static func localDay(at instant: Instant) -> CalendarDay {
        CalendarDay(daysSinceEpoch: floorDays(localMicroseconds(at: instant)))
    }

    /// Whole minutes since local midnight at `instant`: 0 … 1439 (15:59:59 is 959).
    public static func minutesAfterMidnight(at instant: Instant) -> Int {
        let local = localMicroseconds(at: instant)
        let intoDay = local - Int64(floorDays(local)) * Instant.microsecondsPerDay
        return Int(intoDay / microsecondsPerMinute)
    }

    /// The instant the UK clock reads `hour`:`minute` on `day`.
    ///
    /// On the last Sunday in March the clock jumps from 01:00 to 02:00, so 01:xx never shows: it is
    /// read as GMT (01:30 → 01:30 UTC, which the clock shows as 02:30 BST). On the last Sunday in
    /// October 01:00–01:59 shows twice: the first, BST, reading is chosen (01:30 → 00:30 UTC).
    public static func instant(of day: CalendarDay, hour: Int, minute: Int) -> Instant {
        precondition((0...23).contains(hour) && (0...59).contains(minute), "no time \(hour):\(minute)")
        let minutes = hour * 60 + minute
        let summerReading = utcInstant(day: day, minutesAfterMidnight: minutes - 60)
        if utcOffsetMinutes(at: summerReading) == 60 { return summerReading }
        return utcInstant(day: day, minutesAfterMidnight: minutes)
    }

    private static let microsecondsPerMinute: Int64 = 60_000_000

    private static func localMicroseconds(at instant: Instant) -> Int64 {
        instant.microsecondsSinceEpoch + Int64(utcOffsetMinutes(at: instant)) * microsecondsPerMinute
    }

    /// Whole days since the epoch, rounding towards the past (instants before 1970 too).
    private static func floorDays(_ microseconds: Int64) -> Int {
        let days = microseconds / Instant.microsecondsPerDay
        return Int(microseconds % Instant.microsecondsPerDay < 0 ? days - 1 : days)
    }

    private static func utcInstant(day: CalendarDay, minutesAfterMidnight: Int) -> Instant {
        Instant(microsecondsSinceEpoch: Int64(day.daysSinceEpoch) * Instant.microsecondsPerDay
            + Int64(minutesAfterMidnight) * microsecondsPerMinute)
    }
}
