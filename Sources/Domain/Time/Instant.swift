/// A point in time: Unix time in microseconds, UTC, as the store records it.
public struct Instant: Hashable, Comparable, Sendable {
    public var microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) { self.microsecondsSinceEpoch = microsecondsSinceEpoch }

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch }

    /// This instant moved by whole days of 24 hours.
    public func adding(days: Int) -> Instant {
        Instant(microsecondsSinceEpoch: microsecondsSinceEpoch + Int64(days) * Instant.microsecondsPerDay)
    }

    public static let microsecondsPerDay: Int64 = 86_400_000_000
}
