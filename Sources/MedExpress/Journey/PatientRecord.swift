import Domain
import Generated
import Store
import Trust

/// A customer as a prescriber sees them: name, date of birth, address, identity check. Opening
/// it is a read of personal data; callers audit it.
struct PatientRecord: Sendable {
    let customerID: String
    let givenName: String
    let familyName: String
    let dateOfBirth: Medexpress_V1_CalendarDate
    let address: Medexpress_V1_PostalAddress
    /// The stored `identity_status`: 0 unchecked, else the `VerifyCustomerIdentityRequest.Outcome`.
    let identityStatus: Medexpress_V1_IdentityStatus

    var isIdentityVerified: Bool { identityStatus == .identityVerified }
    var fullName: String { givenName + " " + familyName }

    static func load(_ customerID: String, in tx: any ReadTransaction, cipher: FieldCipher) throws -> PatientRecord? {
        guard let row = try tx.query("""
            SELECT given_name, family_name, date_of_birth, address, identity_status FROM customers WHERE id = $1
            """, [.text(customerID)]).first else { return nil }
        func open(_ column: String) throws -> [UInt8] {
            try cipher.open(try row.bytes(column), context: FieldContext(table: "customers", column: column, row: customerID))
        }
        let status: Medexpress_V1_IdentityStatus = switch try row.int64("identity_status") {
        case 1: .identityVerified
        case 2: .identityFailed
        default: .identityUnchecked
        }
        return PatientRecord(customerID: customerID, givenName: String(decoding: try open("given_name"), as: UTF8.self),
                             familyName: String(decoding: try open("family_name"), as: UTF8.self),
                             dateOfBirth: try Medexpress_V1_CalendarDate(decoding: try open("date_of_birth")),
                             address: try Medexpress_V1_PostalAddress(decoding: try open("address")), identityStatus: status)
    }

    func message(today: CalendarDay) -> Medexpress_V1_Patient {
        var patient = Medexpress_V1_Patient()
        patient.customerId = customerID
        patient.givenName = givenName
        patient.familyName = familyName
        patient.dateOfBirth = dateOfBirth
        patient.ageYears = Int32(CustomerDetails.age(birth: (Int(dateOfBirth.year), Int(dateOfBirth.month), Int(dateOfBirth.day)),
                                                     on: (today.year, today.month, today.day)))
        patient.address = address
        patient.identityStatus = identityStatus
        return patient
    }
}
