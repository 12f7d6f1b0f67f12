/// The gRPC `grpc-timeout` header value: 1 to 8 ASCII digits followed by one unit letter
/// (`H` hours, `M` minutes, `S` seconds, `m` milliseconds, `u` microseconds, `n` nanoseconds).
///
/// See "Requests" in https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md.
public enum GRPCTimeout {
    /// The largest value the header can carry: the spec allows at most 8 digits.
    public static let maxValue: Int64 = 99_999_999

    /// The duration a `grpc-timeout` value stands for, or nil when the value is malformed
    /// (empty, no digits, more than 8 digits, a sign, spaces or an unknown unit).
    public static func parse(_ value: String) -> Duration? {
        var value = value
        return value.withUTF8(parse(bytes:))
    }

    /// The `grpc-timeout` value for a duration: the finest unit whose value fits in 8 digits,
    /// rounded up so the deadline the peer sees is never earlier than ours.
    /// Zero or negative durations encode as `0n`; durations beyond 99999999 hours are clamped.
    public static func encode(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return "0n" }

        // Sub-second units only fit below 100_000 s (99999999 ms), so nanoseconds cannot overflow here.
        if seconds < 100_000 {
            let nanoseconds = seconds * 1_000_000_000 + ceilingDivide(attoseconds, 1_000_000_000)
            for (unitNanoseconds, letter) in subSecondUnits {
                let value = ceilingDivide(nanoseconds, unitNanoseconds)
                if value <= maxValue { return "\(value)\(letter)" }
            }
        }
        guard seconds < maxValue * 3_600 else { return "\(maxValue)H" }
        let wholeSeconds = seconds + (attoseconds > 0 ? 1 : 0)
        for (unitSeconds, letter) in wholeSecondUnits {
            let value = ceilingDivide(wholeSeconds, unitSeconds)
            if value <= maxValue { return "\(value)\(letter)" }
        }
        return "\(maxValue)H"
    }

    private static let subSecondUnits: [(nanoseconds: Int64, letter: String)] = [(1, "n"), (1_000, "u"), (1_000_000, "m")]
    private static let wholeSecondUnits: [(seconds: Int64, letter: String)] = [(1, "S"), (60, "M"), (3_600, "H")]

    private static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Duration? {
        // 1 to 8 digits plus the unit.
        guard bytes.count >= 2, bytes.count <= 9 else { return nil }
        var value: Int64 = 0
        for byte in bytes[0 ..< bytes.count - 1] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte &- UInt8(ascii: "0"))
        }
        switch bytes[bytes.count - 1] {
        case UInt8(ascii: "H"): return .seconds(value * 3_600)
        case UInt8(ascii: "M"): return .seconds(value * 60)
        case UInt8(ascii: "S"): return .seconds(value)
        case UInt8(ascii: "m"): return .milliseconds(value)
        case UInt8(ascii: "u"): return .microseconds(value)
        case UInt8(ascii: "n"): return .nanoseconds(value)
        default: return nil
        }
    }

    private static func ceilingDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        value / divisor + (value % divisor == 0 ? 0 : 1)
    }
}
