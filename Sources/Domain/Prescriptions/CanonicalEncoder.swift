/// Appends self-delimiting items (length-prefixed text, fixed-width big-endian integers) for
/// `Prescription.canonicalEncoding`: a sequence of them, in a fixed order, decodes one way only.
struct CanonicalEncoder {
    private(set) var bytes: [UInt8] = []

    /// The UTF-8 byte count (unsigned 32-bit) then the UTF-8 bytes.
    mutating func append(_ text: String) {
        let utf8 = Array(text.utf8)
        precondition(utf8.count <= UInt32.max, "a text of \(utf8.count) bytes does not fit a 32-bit length")
        append(UInt32(utf8.count))
        bytes += utf8
    }

    /// Most significant byte first.
    mutating func append<Integer: FixedWidthInteger>(_ value: Integer) {
        for shift in stride(from: Integer.bitWidth - 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> shift))
        }
    }

    /// Year (signed 32-bit), month (8-bit), day (8-bit).
    mutating func append(_ day: CalendarDay) {
        precondition(Int(Int32.min) ... Int(Int32.max) ~= day.year, "year \(day.year) does not fit 32 bits")
        append(Int32(day.year))
        append(UInt8(day.month))
        append(UInt8(day.day))
    }

    /// The number of street lines (unsigned 32-bit), each line, the town, the postcode.
    mutating func append(_ address: Prescription.Address) {
        append(UInt32(address.lines.count))
        for line in address.lines { append(line) }
        append(address.town)
        append(address.postcode)
    }
}
