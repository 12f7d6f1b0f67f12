extension Array where Element == UInt8 {
    /// Bytes from hex text in a test vector; a malformed vector is a mistake in the test.
    init(hex: String) {
        let digits = Array(hex.utf8)
        precondition(digits.count.isMultiple(of: 2), "odd-length hex in a test vector")
        self = stride(from: 0, to: digits.count, by: 2).map { index in
            guard let byte = UInt8(String(decoding: digits[index ..< index + 2], as: UTF8.self), radix: 16) else {
                preconditionFailure("not hex: \(hex)")
            }
            return byte
        }
    }
}
