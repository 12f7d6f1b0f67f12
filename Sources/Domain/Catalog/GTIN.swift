/// GS1 Global Trade Item Numbers, as printed in a pack's barcode.
public enum GTIN {
    /// Whether `code` is a GTIN-13 or GTIN-14 whose last digit is the GS1 check digit of the others:
    /// weights 3 and 1 alternate from the rightmost data digit, and the check digit brings the sum
    /// to a multiple of 10 (GS1 General Specifications §7.9).
    public static func isValid(_ code: String) -> Bool {
        let digits = code.utf8.map { Int($0) - 0x30 }
        guard digits.count == 13 || digits.count == 14, digits.allSatisfy({ (0...9).contains($0) }) else { return false }
        var sum = 0
        for (position, digit) in digits.dropLast().reversed().enumerated() {
            sum += digit * (position % 2 == 0 ? 3 : 1)
        }
        return (10 - sum % 10) % 10 == digits[digits.count - 1]
    }

    /// The GTIN-13 inside a GTIN-14 with indicator digit 0, or `code` unchanged: scanners may
    /// report a GTIN-13 padded to 14 digits.
    public static func normalized(_ code: String) -> String {
        code.utf8.count == 14 && code.hasPrefix("0") ? String(code.dropFirst()) : code
    }
}
