import Domain
import Glibc

/// The `Date` field's date-time (RFC 5322 §3.3) in UK civil time: "Thu, 24 Dec 2026 15:04:05 +0000",
/// "+0100" in British Summer Time.
enum EmailDate {
    private static let dayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func rfc5322(_ instant: Instant) -> String {
        let offsetMinutes = UKTime.utcOffsetMinutes(at: instant)
        let localSeconds = floorDivide(instant.microsecondsSinceEpoch, 1_000_000) + Int64(offsetMinutes) * 60
        let day = CalendarDay(daysSinceEpoch: Int(floorDivide(localSeconds, 86_400)))
        let secondOfDay = Int(localSeconds - Int64(day.daysSinceEpoch) * 86_400)
        let zone = (offsetMinutes < 0 ? "-" : "+") + twoDigits(abs(offsetMinutes) / 60) + twoDigits(abs(offsetMinutes) % 60)
        return "\(dayNames[day.weekday - 1]), \(day.day) \(monthNames[day.month - 1]) \(day.year) "
            + "\(twoDigits(secondOfDay / 3600)):\(twoDigits(secondOfDay / 60 % 60)):\(twoDigits(secondOfDay % 60)) \(zone)"
    }

    /// The wall clock now (CLOCK_REALTIME), as the `Date` field wants it.
    static func now() -> Instant {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Instant(microsecondsSinceEpoch: Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000)
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
