import Generated
import RPCCore
import Trust

/// A registration request checked field by field; INVALID_ARGUMENT names the first bad field.
struct CustomerDetails: Sendable {
    /// The longest name, email or address line accepted, in characters.
    static let maxTextCharacters = 200
    static let maxAddressLines = 6
    /// Customers must be 18 or over (API.md, Identities).
    static let minimumAgeYears = 18

    let email: String
    let givenName: String
    let familyName: String
    let dateOfBirth: Medexpress_V1_CalendarDate
    let phone: String
    let address: Medexpress_V1_PostalAddress

    /// Checks `request` against `today` (a UTC calendar date).
    init(_ request: Medexpress_V1_RegisterCustomerRequest, today: (year: Int, month: Int, day: Int)) throws(Status) {
        let email = BlindIndex.normalisedEmail(request.email)
        guard Self.isPlausibleEmail(email) else {
            throw Status(.invalidArgument, "email: \"\(request.email.prefix(80))\" is not an email address")
        }
        try Self.checkPassword(request.password)
        self.email = email
        givenName = try Self.text(request.givenName, field: "given_name")
        familyName = try Self.text(request.familyName, field: "family_name")
        let birth = request.dateOfBirth ?? Medexpress_V1_CalendarDate()
        guard Self.isValidDate(year: Int(birth.year), month: Int(birth.month), day: Int(birth.day)) else {
            throw Status(.invalidArgument, "date_of_birth: \(birth.year)-\(birth.month)-\(birth.day) is not a calendar date")
        }
        guard Self.age(birth: (Int(birth.year), Int(birth.month), Int(birth.day)), on: today) >= Self.minimumAgeYears else {
            throw Status(.invalidArgument, "date_of_birth: customers must be \(Self.minimumAgeYears) or over")
        }
        dateOfBirth = birth
        guard request.phone.utf8.count >= 9, request.phone.utf8.count <= 16, request.phone.hasPrefix("+"),
              request.phone.utf8.dropFirst().allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw Status(.invalidArgument, "phone: use E.164 form, e.g. +447700900123")
        }
        phone = request.phone
        let address = request.address ?? Medexpress_V1_PostalAddress()
        try Self.checkAddress(address, field: "address")
        self.address = address
    }

    /// INVALID_ARGUMENT naming the password field unless `password` meets the policy.
    static func checkPassword(_ password: String) throws(Status) {
        guard let violation = PasswordPolicy.violation(of: password) else { return }
        switch violation {
        case .tooShort(let count):
            throw Status(.invalidArgument, "password: \(count) characters; at least \(PasswordPolicy.minCharacters) are needed")
        case .tooLong(let bytes):
            throw Status(.invalidArgument, "password: \(bytes) bytes; at most \(PasswordPolicy.maxBytes)")
        }
    }

    /// INVALID_ARGUMENT naming the field unless `address` has 1 to 6 lines, a town and a postcode.
    static func checkAddress(_ address: Medexpress_V1_PostalAddress, field: String) throws(Status) {
        guard !address.lines.isEmpty, address.lines.count <= Self.maxAddressLines else {
            throw Status(.invalidArgument, "\(field).lines: 1 to \(Self.maxAddressLines) lines are needed")
        }
        for line in address.lines { _ = try Self.text(line, field: "\(field).lines") }
        _ = try Self.text(address.town, field: "\(field).town")
        _ = try Self.text(address.postcode, field: "\(field).postcode")
    }

    /// What makes two addresses the same household for the shared-address check: the postcode
    /// without spaces and the first line's letters and digits, case-folded ("Flat 2, 10 High St"
    /// and "flat 2 10 high st" match).
    static func householdKey(_ address: Medexpress_V1_PostalAddress) -> String {
        func folded(_ text: String) -> String {
            String(String.UnicodeScalarView(text.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }))
        }
        return folded(address.postcode) + "|" + folded(address.lines.first ?? "")
    }

    private static func text(_ value: String, field: String) throws(Status) -> String {
        let trimmed = value.trimmingWhitespace
        guard !trimmed.isEmpty else { throw Status(.invalidArgument, "\(field): is empty") }
        guard trimmed.count <= maxTextCharacters else { throw Status(.invalidArgument, "\(field): longer than \(maxTextCharacters) characters") }
        return trimmed
    }

    static func isPlausibleEmail(_ email: String) -> Bool {
        guard email.utf8.count <= 254, !email.contains(" ") else { return false }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64 else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty }
    }

    static func isValidDate(year: Int, month: Int, day: Int) -> Bool {
        guard year >= 1900, year <= 9999, (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    /// Whole years from `birth` to `date`.
    static func age(birth: (year: Int, month: Int, day: Int), on date: (year: Int, month: Int, day: Int)) -> Int {
        var years = date.year - birth.year
        if (date.month, date.day) < (birth.month, birth.day) { years -= 1 }
        return years
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and newlines.
    var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
