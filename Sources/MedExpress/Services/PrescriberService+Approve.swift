import Domain
import Generated
import RPCCore
import Store
import Trust

extension PrescriberService {
    /// Issues the prescription. In one transaction: the order moves to APPROVED; the checks that
    /// make approval lawful pass (a verified identity for high-risk treatments, an independent
    /// weight check for weight loss); the stock is reserved; the prescription, carrying every
    /// particular of HMR 2012 reg. 217, is signed with the prescriber's own Ed25519 key over its
    /// canonical encoding and stored; the payment capture is queued. Rules advised; this decides.
    public func approve(_ request: Medexpress_V1_ApproveRequest, context: ServerContext) async throws -> Medexpress_V1_ApproveResponse {
        let caller = try context.requireCaller()
        let directions = try checkedText(request.directions, field: "directions", maxCharacters: PrescriberService.maxTextCharacters, required: false)
        let catalog = journey.catalog
        let cipher = journey.vault.cipher
        let outbox = outbox
        let journey = journey
        let order = try await decide(request.requestId, orderID: request.orderId, caller: caller, method: Method.approve.descriptor.path,
                                     requestBytes: request.encoded()) { order, tx, now in
            let today = UKTime.localDay(at: Instant(microsecondsSinceEpoch: now))
            let caseFile = try CaseFile(order: order, today: today, catalog: catalog, cipher: cipher, in: tx)
            guard let treatment = caseFile.treatment, let found = treatment.product(order.productID) else {
                throw Status(.failedPrecondition, "treatment \(order.treatmentID) or product \(order.productID) is no longer in the catalog")
            }
            if treatment.requiresIdentityCheck && !caseFile.patient.isIdentityVerified {
                throw Status(.failedPrecondition, "\(treatment.name) needs a verified identity before approval; the patient's is \(caseFile.patient.identityStatus.protoName): record an ID check first (AuthService.VerifyCustomerIdentity)")
            }
            if treatment.requiresWeightVerification && !caseFile.hasIndependentWeightVerification {
                throw Status(.failedPrecondition, "\(treatment.name) needs an independent check of weight (video consultation, GP records or in person) before approval; a photo alone is not enough")
            }
            _ = try order.transition(.approve, actor: caller.subjectID, reason: "approved by the prescriber; prescription issued", now: now, in: tx)
            try Inventory.reserve(order.productID, quantity: order.quantity, orderID: order.id, actor: caller.subjectID, now: now, in: tx)

            let prescriber = try Self.prescriberKey(caller.subjectID, now: now, cipher: cipher, in: tx)
            let patient = caseFile.patient
            guard let dateOfBirth = CalendarDay.valid(year: Int(patient.dateOfBirth.year), month: Int(patient.dateOfBirth.month),
                                                      day: Int(patient.dateOfBirth.day)) else {
                throw Status(.failedPrecondition, "the patient's date of birth is not a calendar date")
            }
            let prescription: Domain.Prescription
            do {
                prescription = try Domain.Prescription(
                    id: PrescriptionID(OpaqueID.make(prefix: .prescription)), orderID: order.id,
                    issuedAt: Instant(microsecondsSinceEpoch: now), prescriber: prescriber.particulars,
                    patient: .init(name: patient.fullName, address: PrescriptionRecord.address(patient.address), dateOfBirth: dateOfBirth),
                    medicine: .init(name: found.medication.name, strength: found.product.strength, form: found.medication.form,
                                    quantityInUnits: found.product.quantity * order.quantity,
                                    packDescription: found.product.packDescription,
                                    directions: directions.isEmpty ? found.medication.directions : directions))
            } catch {
                throw Status(.failedPrecondition, "the prescription cannot be issued: \(error)")
            }
            let canonical = prescription.canonicalEncoding
            let signature = prescriber.key.signature(for: canonical)
            let particulars = PrescriptionRecord.message(prescription, product: found.product)
            let id = prescription.id.rawValue
            try tx.execute("""
                INSERT INTO prescriptions (id, order_id, prescriber_id, issued_at_us, valid_until, particulars, signature, public_key)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, [.text(id), .text(order.id), .text(caller.subjectID), .integer(now), .text(prescription.validUntil.description),
                      .blob(cipher.seal(particulars.encoded(), context: FieldContext(table: "prescriptions", column: "particulars", row: id))),
                      .blob(signature), .blob(prescriber.key.publicKey.rawRepresentation)])
            try tx.execute("UPDATE consultations SET outcome = $1 WHERE id = $2",
                           [.integer(ConsultationRecord.Outcome.prescribed.rawValue), .text(order.consultationID)])
            try outbox.enqueue(.capturePayment(orderID: order.id, paymentID: order.paymentID,
                                               amountInPence: order.quote.total?.minorUnits ?? 0), now: now, in: tx)
            let description = "\(found.medication.name) \(found.product.strength), \(found.product.packDescription)"
            try Notices.email(customer: order.customerID, about: order.id, journey: journey, outbox: outbox, now: now, in: tx) { name in
                .approved(givenName: name, orderID: order.id, medicationDescription: description, chargedInPence: Notices.total(order))
            }
            // With the patient's consent (their consultation's answer), their GP is told.
            let answers = caseFile.message.consultation?.answers ?? []
            if answers.first(where: { $0.questionId == "gp_consent" })?.answer?.value == .yesNo(true) {
                var practice = "the practice the patient named"
                if case .text(let named)? = answers.first(where: { $0.questionId == "gp_practice" })?.answer?.value, !named.isEmpty {
                    practice = named
                }
                let address = ([patient.address.lines.joined(separator: ", "), patient.address.town, patient.address.postcode])
                    .filter { !$0.isEmpty }.joined(separator: ", ")
                let letter = GPLetter(practice: practice, patientName: patient.fullName, dateOfBirth: dateOfBirth, patientAddress: address,
                                      orderID: order.id, medicine: description + " (quantity \(prescription.medicine.quantityInUnits))",
                                      directions: prescription.medicine.directions, date: prescription.date,
                                      prescriber: "\(prescriber.particulars.name), \(prescriber.particulars.profession.title), "
                                          + "\(prescriber.particulars.registeringBody) \(prescriber.particulars.registrationNumber)")
                try outbox.enqueue(.email(subject: order.id, letter.message(from: journey.mail.from, to: journey.mail.gpLetters,
                                                                             domain: journey.mail.domain)), now: now, in: tx)
            }
            return ("prescription.issued", "\(id) signed by \(prescriber.particulars.registeringBody) \(prescriber.particulars.registrationNumber)")
        }
        var response = Medexpress_V1_ApproveResponse()
        response.order = order
        response.prescription = try await journey.store.read { tx in
            try PrescriptionRecord.load(order.id, in: tx, cipher: cipher)
        }
        return response
    }

    /// The prescriber's particulars and signing key. A prescriber added before keys were made at
    /// creation gets one now, recorded in the audit log.
    static func prescriberKey(_ staffID: String, now: Int64, cipher: FieldCipher, in tx: any WriteTransaction) throws
        -> (particulars: Domain.Prescription.Prescriber, key: Ed25519PrivateKey) {
        guard let row = try tx.query("""
            SELECT given_name, family_name, address, registration_body, registration_number, signing_key
            FROM staff WHERE id = $1 AND role = $2
            """, [.text(staffID), .integer(Int64(Medexpress_V1_Role.prescriber.rawValue))]).first else {
            throw Status(.permissionDenied, "\(staffID) is not a prescriber")
        }
        func open(_ column: String) throws -> [UInt8] {
            try cipher.open(try row.bytes(column), context: FieldContext(table: "staff", column: column, row: staffID))
        }
        let profession: Domain.Prescription.Profession
        switch try row.int64("registration_body") {
        case Int64(Medexpress_V1_ProfessionalRegistration.Body.gmc.rawValue): profession = .doctor
        case Int64(Medexpress_V1_ProfessionalRegistration.Body.gphc.rawValue): profession = .pharmacistIndependentPrescriber
        default: throw Status(.failedPrecondition, "\(staffID) has no GMC or GPhC registration on record")
        }
        guard let addressBytes = try row.optionalBytes("address") else {
            throw Status(.failedPrecondition, "\(staffID) has no address on record: a prescription must carry it")
        }
        let address = try Medexpress_V1_PostalAddress(decoding: try cipher.open(addressBytes, context: FieldContext(table: "staff", column: "address", row: staffID)))
        let particulars = Domain.Prescription.Prescriber(
            name: String(decoding: try open("given_name"), as: UTF8.self) + " " + String(decoding: try open("family_name"), as: UTF8.self),
            address: PrescriptionRecord.address(address), profession: profession, registrationNumber: try row.string("registration_number"))
        if try row.optionalBytes("signing_key") != nil {
            return (particulars, try Ed25519PrivateKey(rawRepresentation: try open("signing_key")))
        }
        let key = Ed25519PrivateKey.generate()
        try tx.execute("UPDATE staff SET signing_key = $1, signing_public_key = $2 WHERE id = $3 AND signing_key IS NULL",
                       [.blob(cipher.seal(key.rawRepresentation, context: FieldContext(table: "staff", column: "signing_key", row: staffID))),
                        .blob(key.publicKey.rawRepresentation), .text(staffID)])
        return (particulars, key)
    }
}
