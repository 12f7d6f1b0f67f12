/// Why particulars cannot make a prescription, or a prescription cannot be dispensed; `field`
/// names the particular as the API does ("patient.address.postcode").
public enum PrescriptionError: Error, Hashable, CustomStringConvertible {
    /// The identifier does not start with "rx_" or is too long.
    case malformedID(String)
    /// A particular is empty or only white space.
    case missing(field: String)
    /// A particular is longer than `Prescription.maxTextBytes` UTF-8 bytes.
    case tooLong(field: String, byteCount: Int)
    /// An address has no street line, or more than `Prescription.maxAddressLines`.
    case addressLineCount(field: String, count: Int)
    /// The registration number is not the 7 digits `body` issues.
    case malformedRegistrationNumber(String, body: Prescription.RegisteringBody)
    /// The quantity is not 1 … `Prescription.maxQuantityUnits` units.
    case quantityOutOfRange(Int)
    /// The patient's date of birth is after the prescription's date or before `Prescription.earliestDateOfBirth`.
    case dateOfBirthOutOfRange(CalendarDay, prescriptionDate: CalendarDay)
    /// Supplied on a day outside the prescription's validity (HMR 2012 reg 217(5)).
    case notValid(on: CalendarDay, validFrom: CalendarDay, validUntil: CalendarDay)

    /// What is wrong, in words a prescriber or pharmacist can act on.
    public var description: String {
        switch self {
        case .malformedID(let id):
            "id: \"\(id.prefix(40))\" is not a prescription id (\(PrescriptionID.prefix)…)"
        case .missing(let field):
            "\(field): required on a prescription"
        case .tooLong(let field, let byteCount):
            "\(field): \(byteCount) bytes is longer than the \(Prescription.maxTextBytes) allowed"
        case .addressLineCount(let field, let count):
            "\(field): \(count) lines; an address has 1 to \(Prescription.maxAddressLines)"
        case .malformedRegistrationNumber(let number, let body):
            "prescriber.registration_number: \"\(number.prefix(40))\" is not a \(body) number "
                + "(\(body.registrationNumberDigitCount) digits)"
        case .quantityOutOfRange(let quantity):
            "medicine.quantity: \(quantity) units; a prescription orders 1 to \(Prescription.maxQuantityUnits)"
        case .dateOfBirthOutOfRange(let dateOfBirth, let prescriptionDate):
            "patient.date_of_birth: \(dateOfBirth) is not between \(Prescription.earliestDateOfBirth) "
                + "and the prescription's date, \(prescriptionDate)"
        case .notValid(let day, let validFrom, let validUntil):
            "the prescription is valid from \(validFrom) to \(validUntil), not on \(day)"
        }
    }
}
