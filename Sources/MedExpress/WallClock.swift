import Glibc

/// Wall-clock time as the store records it: Unix time in microseconds, UTC.
public enum WallClock {
    public static func nowMicroseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }
}
