/// A private prescription for a prescription-only medicine, with every particular the Human
/// Medicines Regulations 2012 ask of it (reg 217) and that the pharmacy dispenses against. The
/// prescriber's Ed25519 key signs `canonicalEncoding`, which makes it an advanced electronic
/// signature: any later change to any particular no longer verifies (API.md, Rules of the business).
public struct Prescription: Hashable, Sendable {
    /// The algorithm of the prescriber's signature over `canonicalEncoding` (RFC 8032 PureEdDSA).
    public static let signatureAlgorithm = "Ed25519"
    /// The first text of `canonicalEncoding`; a changed encoding gets a new version.
    public static let encodingVersion = "medexpress-prescription/1"
    /// Longest text particular, in UTF-8 bytes (the encoding could carry 4 GiB; nothing needs 1 KiB).
    public static let maxTextBytes = 1024
    /// Most street lines in an address.
    public static let maxAddressLines = 6
    /// Most units one prescription may order.
    public static let maxQuantityUnits = 10_000
    /// Earliest date of birth accepted: no living patient was born before it.
    public static let earliestDateOfBirth = CalendarDay(year: 1900, month: 1, day: 1)
    /// HMR 2012 reg 217(5): not dispensed after the period of six months beginning with its date.
    public static let validityMonths = 6

    public let id: PrescriptionID
    /// The order the prescription was issued for ("ord_…").
    public let orderID: String
    /// When the prescriber signed it.
    public let issuedAt: Instant
    /// The date of the prescription: the UK calendar day at `issuedAt` (the "appropriate date").
    public let date: CalendarDay
    public let prescriber: Prescriber
    public let patient: Patient
    public let medicine: Medicine

    /// A prescription with these particulars, each checked: none missing, none longer than the
    /// limits above, a 7-digit registration number, a date of birth on or before the date.
    public init(id: PrescriptionID, orderID: String, issuedAt: Instant, prescriber: Prescriber, patient: Patient,
                medicine: Medicine) throws(PrescriptionError) {
        let date = UKTime.localDay(at: issuedAt)
        guard id.rawValue.hasPrefix(PrescriptionID.prefix), id.rawValue != PrescriptionID.prefix,
              id.rawValue.utf8.count <= Self.maxTextBytes else {
            throw .malformedID(id.rawValue)
        }
        try Self.check(orderID, field: "order_id")
        try Self.check(prescriber.name, field: "prescriber.name")
        try Self.check(prescriber.address, field: "prescriber.address")
        let body = prescriber.registeringBody
        guard prescriber.registrationNumber.utf8.count == body.registrationNumberDigitCount,
              prescriber.registrationNumber.utf8.allSatisfy({ (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains($0) })
        else { throw .malformedRegistrationNumber(prescriber.registrationNumber, body: body) }
        try Self.check(patient.name, field: "patient.name")
        try Self.check(patient.address, field: "patient.address")
        guard patient.dateOfBirth >= Self.earliestDateOfBirth, patient.dateOfBirth <= date else {
            throw .dateOfBirthOutOfRange(patient.dateOfBirth, prescriptionDate: date)
        }
        try Self.check(medicine.name, field: "medicine.name")
        try Self.check(medicine.strength, field: "medicine.strength")
        try Self.check(medicine.form, field: "medicine.form")
        guard (1 ... Self.maxQuantityUnits).contains(medicine.quantityInUnits) else {
            throw .quantityOutOfRange(medicine.quantityInUnits)
        }
        try Self.check(medicine.packDescription, field: "medicine.pack_description")
        try Self.check(medicine.directions, field: "medicine.directions")
        self.id = id
        self.orderID = orderID
        self.issuedAt = issuedAt
        self.date = date
        self.prescriber = prescriber
        self.patient = patient
        self.medicine = medicine
    }

    /// The last day it may be dispensed. HMR 2012 reg 217(5)(a): not after the end of the period
    /// of six months beginning with the date. A period of months beginning with a day ends on the
    /// day before the corresponding day (1 March → 31 August), or at the end of the month when
    /// there is no corresponding day (31 August → 28 or 29 February).
    public var validUntil: CalendarDay {
        let months = date.month - 1 + Self.validityMonths
        let year = date.year + months / 12
        let month = months % 12 + 1
        let daysInMonth = CalendarDay.numberOfDays(inMonth: month, year: year)
        guard date.day <= daysInMonth else { return CalendarDay(year: year, month: month, day: daysInMonth) }
        return CalendarDay(year: year, month: month, day: date.day).adding(days: -1)
    }

    /// Whether it may be dispensed on `day`: from its date to `validUntil`, both included.
    public func isValid(on day: CalendarDay) -> Bool {
        date <= day && day <= validUntil
    }

    /// The bytes the prescriber signs: every particular, in a fixed order, each self-delimiting,
    /// so that any change to any particular changes the bytes and no two prescriptions share them.
    ///
    /// Built from four kinds of item, concatenated with nothing between them:
    /// - text: its UTF-8 byte count as an unsigned 32-bit big-endian integer, then its UTF-8 bytes
    ///   (the exact Unicode scalars, not normalised);
    /// - integer: fixed-width big-endian, two's complement where signed;
    /// - date: year (signed 32-bit), month (unsigned 8-bit, 1–12), day (unsigned 8-bit, 1–31);
    /// - address: the number of street lines (unsigned 32-bit), each line as text, the town as
    ///   text, the postcode as text.
    ///
    /// The items, in order:
    /// 1. text `"medexpress-prescription/1"` (`encodingVersion`)
    /// 2. text id (`"rx_…"`)
    /// 3. text order id
    /// 4. issued at: microseconds since 1970-01-01T00:00:00Z, signed 64-bit
    /// 5. date: the date of the prescription (UK calendar day of 4)
    /// 6. date: valid until (`validUntil`)
    /// 7. text prescriber name
    /// 8. address of the prescriber
    /// 9. text profession code (`"doctor"`, `"pharmacist-independent-prescriber"`)
    /// 10. text registering body (`"GMC"`, `"GPhC"`)
    /// 11. text registration number
    /// 12. text patient name
    /// 13. address of the patient
    /// 14. date: patient's date of birth
    /// 15. text medicine name
    /// 16. text strength
    /// 17. text form
    /// 18. quantity in units, unsigned 32-bit
    /// 19. text pack description
    /// 20. text directions
    /// 21. text `"Ed25519"` (`signatureAlgorithm`)
    public var canonicalEncoding: [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.append(Self.encodingVersion)
        encoder.append(id.rawValue)
        encoder.append(orderID)
        encoder.append(issuedAt.microsecondsSinceEpoch)
        encoder.append(date)
        encoder.append(validUntil)
        encoder.append(prescriber.name)
        encoder.append(prescriber.address)
        encoder.append(prescriber.profession.rawValue)
        encoder.append(prescriber.registeringBody.rawValue)
        encoder.append(prescriber.registrationNumber)
        encoder.append(patient.name)
        encoder.append(patient.address)
        encoder.append(patient.dateOfBirth)
        encoder.append(medicine.name)
        encoder.append(medicine.strength)
        encoder.append(medicine.form)
        encoder.append(UInt32(medicine.quantityInUnits))
        encoder.append(medicine.packDescription)
        encoder.append(medicine.directions)
        encoder.append(Self.signatureAlgorithm)
        return encoder.bytes
    }

    private static func check(_ text: String, field: String) throws(PrescriptionError) {
        guard !text.allSatisfy(\.isWhitespace) else { throw .missing(field: field) }
        guard text.utf8.count <= maxTextBytes else { throw .tooLong(field: field, byteCount: text.utf8.count) }
    }

    private static func check(_ address: Address, field: String) throws(PrescriptionError) {
        guard (1 ... maxAddressLines).contains(address.lines.count) else {
            throw .addressLineCount(field: field + ".lines", count: address.lines.count)
        }
        for line in address.lines { try check(line, field: field + ".lines") }
        try check(address.town, field: field + ".town")
        try check(address.postcode, field: field + ".postcode")
    }
}
