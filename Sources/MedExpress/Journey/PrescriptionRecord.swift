import Domain
import Generated
import RPCCore
import Store
import Trust

/// Signed prescriptions as stored: the particulars sealed (they are health data), the signature
/// and the prescriber's public key beside them. Reading one checks its signature again, so a
/// changed row never reaches the pharmacy as if it were signed.
enum PrescriptionRecord {
    /// The prescription's particulars as a message.
    static func message(_ prescription: Domain.Prescription, product: Domain.Product) -> Medexpress_V1_Prescription {
        var message = Medexpress_V1_Prescription()
        message.id = prescription.id.rawValue
        message.orderId = prescription.orderID
        message.issuedAt = Timestamps.timestamp(microseconds: prescription.issuedAt.microsecondsSinceEpoch)
        message.date = date(prescription.date)
        message.validUntil = date(prescription.validUntil)
        message.prescriberName = prescription.prescriber.name
        message.prescriberAddress = address(prescription.prescriber.address)
        message.prescriberProfession = prescription.prescriber.profession.rawValue
        message.registeringBody = prescription.prescriber.registeringBody.rawValue
        message.registrationNumber = prescription.prescriber.registrationNumber
        message.patientName = prescription.patient.name
        message.patientAddress = address(prescription.patient.address)
        message.patientDateOfBirth = date(prescription.patient.dateOfBirth)
        message.medicineName = prescription.medicine.name
        message.strength = prescription.medicine.strength
        message.form = prescription.medicine.form
        message.quantity = Int32(prescription.medicine.quantityInUnits)
        message.packDescription = prescription.medicine.packDescription
        message.directions = prescription.medicine.directions
        message.productId = product.id.rawValue
        message.gtin = product.gtin
        message.refrigerated = product.refrigerated
        return message
    }

    /// The domain prescription the message describes (to rebuild its canonical encoding).
    static func prescription(_ message: Medexpress_V1_Prescription) throws -> Domain.Prescription {
        guard let profession = Domain.Prescription.Profession(rawValue: message.prescriberProfession) else {
            throw StoreError.schema("prescription \(message.id) names no known profession")
        }
        let issuedAt = (message.issuedAt?.seconds ?? 0) * 1_000_000 + Int64((message.issuedAt?.nanos ?? 0) / 1000)
        guard let birth = message.patientDateOfBirth,
              let dateOfBirth = CalendarDay.valid(year: Int(birth.year), month: Int(birth.month), day: Int(birth.day)) else {
            throw StoreError.schema("prescription \(message.id) has no valid date of birth")
        }
        return try Domain.Prescription(
            id: PrescriptionID(message.id), orderID: message.orderId, issuedAt: Instant(microsecondsSinceEpoch: issuedAt),
            prescriber: .init(name: message.prescriberName, address: address(message.prescriberAddress), profession: profession,
                              registrationNumber: message.registrationNumber),
            patient: .init(name: message.patientName, address: address(message.patientAddress), dateOfBirth: dateOfBirth),
            medicine: .init(name: message.medicineName, strength: message.strength, form: message.form,
                            quantityInUnits: Int(message.quantity), packDescription: message.packDescription,
                            directions: message.directions))
    }

    static let columns = "id, order_id, particulars, signature, public_key"

    /// The prescription with `id` ("rx_…") or for the order `id` ("ord_…"), its signature checked.
    static func load(_ id: String, in tx: any ReadTransaction, cipher: FieldCipher) throws -> Medexpress_V1_SignedPrescription? {
        let column = id.hasPrefix("ord_") ? "order_id" : "id"
        guard let row = try tx.query("SELECT \(columns) FROM prescriptions WHERE \(column) = $1", [.text(id)]).first else { return nil }
        return try signed(row, in: tx, cipher: cipher)
    }

    static func signed(_ row: SQLRow, in tx: any ReadTransaction, cipher: FieldCipher) throws -> Medexpress_V1_SignedPrescription {
        let id = try row.string("id")
        let particulars = try Medexpress_V1_Prescription(decoding: try cipher.open(
            try row.bytes("particulars"), context: FieldContext(table: "prescriptions", column: "particulars", row: id)))
        let canonical = try prescription(particulars).canonicalEncoding
        let publicKey = try Ed25519PublicKey(rawRepresentation: try row.bytes("public_key"))
        let signature = try row.bytes("signature")
        var signed = Medexpress_V1_SignedPrescription()
        signed.prescription = particulars
        signed.canonicalEncoding = canonical
        signed.signatureAlgorithm = Domain.Prescription.signatureAlgorithm
        signed.signature = signature
        signed.publicKeyPem = publicKey.pemRepresentation
        signed.signatureVerified = publicKey.isValidSignature(signature, for: canonical)
        if let status = try tx.query("SELECT status FROM orders WHERE id = $1", [.text(try row.string("order_id"))]).first {
            signed.orderStatus = OrderMessages.message(try OrderMessages.status(stored: try status.int64("status")))
        }
        return signed
    }

    static func date(_ day: CalendarDay) -> Medexpress_V1_CalendarDate {
        var date = Medexpress_V1_CalendarDate()
        date.year = Int32(day.year)
        date.month = Int32(day.month)
        date.day = Int32(day.day)
        return date
    }

    static func address(_ address: Domain.Prescription.Address) -> Medexpress_V1_PostalAddress {
        var message = Medexpress_V1_PostalAddress()
        message.lines = address.lines
        message.town = address.town
        message.postcode = address.postcode
        return message
    }

    static func address(_ message: Medexpress_V1_PostalAddress?) -> Domain.Prescription.Address {
        Domain.Prescription.Address(lines: message?.lines ?? [], town: message?.town ?? "", postcode: message?.postcode ?? "")
    }
}
