/// The shape of a UK postcode (BS 7666): an outward code (A9, A99, A9A, AA9, AA99, AA9A), an
/// optional space, and an inward code (9AA).
enum UKPostcode {
    static func isWellFormed(_ text: String) -> Bool {
        let scalars = Array(text.uppercased().unicodeScalars.filter { $0 != " " })
        guard (5...7).contains(scalars.count), text.filter({ $0 == " " }).count <= 1 else { return false }
        let inward = scalars.suffix(3)
        guard isDigit(inward[inward.startIndex]), inward.dropFirst().allSatisfy(isLetter) else { return false }
        let outward = Array(scalars.dropLast(3))
        let shape = String(outward.map { isLetter($0) ? "A" : isDigit($0) ? "9" : "?" })
        return ["A9", "A99", "A9A", "AA9", "AA99", "AA9A"].contains(shape)
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool { ("A"..."Z").contains(scalar) }
    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
}
