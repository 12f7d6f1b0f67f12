/// Royal Mail tracking numbers in the UPU S10 format: two-letter service indicator, eight-digit
/// serial, check digit, "GB" ("FQ087430672GB").
public enum TrackingNumber {
    /// The country code Royal Mail's numbers end with.
    public static let countryCode = "GB"
    /// The largest eight-digit serial.
    public static let maxSerial = 99_999_999

    /// The tracking number for `serial` (0 … 99 999 999) under a two-letter service indicator.
    public static func make(serviceIndicator: String, serial: Int) -> String {
        precondition(serviceIndicator.count == 2 && serviceIndicator.unicodeScalars.allSatisfy(isUpperCaseLetter),
                     "service indicator must be two letters A–Z")
        precondition((0...maxSerial).contains(serial), "serial must have at most eight digits")
        let digits = String(serial)
        let padded = String(repeating: "0", count: 8 - digits.count) + digits
        return serviceIndicator + padded + String(checkDigit(serialDigits: padded.unicodeScalars.map { Int($0.value) - 48 }))
            + countryCode
    }

    /// Whether `text` is a well-formed Royal Mail S10 number whose check digit matches.
    public static func isValid(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count == 13,
              scalars[0..<2].allSatisfy(isUpperCaseLetter),
              scalars[2..<11].allSatisfy(isDigit),
              String(String.UnicodeScalarView(scalars[11..<13])) == countryCode else { return false }
        let digits = scalars[2..<11].map { Int($0.value) - 48 }
        return checkDigit(serialDigits: Array(digits[0..<8])) == digits[8]
    }

    /// UPU S10 check digit: weights 8 6 4 2 3 5 9 7, C = 11 − (S mod 11); 10 → 0, 11 → 5.
    public static func checkDigit(serialDigits: [Int]) -> Int {
        precondition(serialDigits.count == 8 && serialDigits.allSatisfy { (0...9).contains($0) }, "eight digits")
        let sum = zip(serialDigits, weights).reduce(0) { $0 + $1.0 * $1.1 }
        switch 11 - sum % 11 {
        case 10: return 0
        case 11: return 5
        case let digit: return digit
        }
    }

    private static let weights = [8, 6, 4, 2, 3, 5, 9, 7]

    private static func isUpperCaseLetter(_ scalar: Unicode.Scalar) -> Bool { ("A"..."Z").contains(scalar) }
    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
}
