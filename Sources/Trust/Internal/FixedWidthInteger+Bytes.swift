extension FixedWidthInteger {
    /// The bytes of the value, most significant first (network byte order).
    var bigEndianBytes: [UInt8] {
        (0 ..< Self.bitWidth / 8).reversed().map { UInt8(truncatingIfNeeded: self >> ($0 * 8)) }
    }
}
