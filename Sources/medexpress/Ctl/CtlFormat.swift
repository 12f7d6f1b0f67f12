import ClientKit
import Glibc

/// How ctl writes times, money and statuses, and reads dates and statuses typed by a person.
enum CtlFormat {
    /// `2026-11-29 20:31:05Z` (UTC), or `-` when absent.
    static func time(_ timestamp: Google_Protobuf_Timestamp?) -> String {
        guard let timestamp, timestamp.seconds != 0 else { return "-" }
        var seconds = time_t(timestamp.seconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    static func money(_ money: Medexpress_V1_Money?) -> String { DemoJourney.money(money) }

    static func status(_ status: Medexpress_V1_OrderStatus) -> String { status.protoName }

    /// A figure with one decimal place (hours, ratings).
    static func decimal(_ value: Double) -> String {
        let tenths = Int64((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        return "\(sign)\(tenths.magnitude / 10).\(tenths.magnitude % 10)"
    }

    /// A rate in 0…1 as a percentage.
    static func percent(_ rate: Double) -> String { decimal(rate * 100) + "%" }

    /// Midnight UTC at the start of `text` (YYYY-MM-DD), in Unix seconds.
    static func day(_ text: String, option: String) throws(UsageError) -> Int64 {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int32(parts[0]), let month = Int32(parts[1]), let day = Int32(parts[2]),
              (1...12).contains(month), (1...31).contains(day) else {
            throw UsageError("--\(option) must be a date YYYY-MM-DD, got \(text)")
        }
        var fields = tm()
        fields.tm_year = year - 1900
        fields.tm_mon = month - 1
        fields.tm_mday = day
        let seconds = Int64(timegm(&fields))
        // timegm normalises 2026-02-31 into March: a date that moved was not a real day.
        guard fields.tm_mon == month - 1 else { throw UsageError("--\(option): \(text) is not a day of the calendar") }
        return seconds
    }

    /// The order statuses named in `text` (comma-separated, any case: `approved,dispensing`).
    static func statuses(_ text: String) throws(UsageError) -> [Medexpress_V1_OrderStatus] {
        let known = Medexpress_V1_OrderStatus.allCases.filter { $0 != .unspecified }
        var statuses: [Medexpress_V1_OrderStatus] = []
        for name in text.split(separator: ",") {
            guard let status = known.first(where: { $0.protoName == name.uppercased() }) else {
                throw UsageError("--status \(name) is not an order status; one of "
                    + known.map(\.protoName).joined(separator: ", "))
            }
            statuses.append(status)
        }
        return statuses
    }

    private static func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
