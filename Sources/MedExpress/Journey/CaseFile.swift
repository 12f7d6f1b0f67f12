import Domain
import Generated
import RPCCore
import Store
import Trust

/// The prescriber's case for one order, read in one transaction: the order, the patient, every
/// answer event with each change marked, the flags, the verifications, the conversation, and the
/// patient's other consultations. It holds health data: whoever builds it audits the read.
struct CaseFile {
    let message: Medexpress_V1_Case
    let patient: PatientRecord
    let treatment: Domain.Treatment?
    let hasIndependentWeightVerification: Bool

    /// Other consultations of the patient shown with the case.
    static let maxEarlierConsultations = 20

    init(order: OrderRecord, today: CalendarDay, catalog: Catalog, cipher: FieldCipher, in tx: any ReadTransaction) throws {
        guard let patient = try PatientRecord.load(order.customerID, in: tx, cipher: cipher) else {
            throw Status(.failedPrecondition, "order \(order.id) belongs to customer \(order.customerID), who no longer exists")
        }
        self.patient = patient
        treatment = catalog.treatment(order.treatmentID)
        var message = Medexpress_V1_Case()
        message.order = try order.message(in: tx, catalog: catalog, cipher: cipher)
        message.patient = patient.message(today: today)
        message.identityCheckRequired = treatment?.requiresIdentityCheck ?? false
        message.weightVerificationRequired = treatment?.requiresWeightVerification ?? false

        let consultation = try ConsultationRecord.require(order.consultationID, ownedBy: nil, in: tx, cipher: cipher)
        let events = try ConsultationRecord.answerEvents(of: consultation.id, in: tx, cipher: cipher)
        let questions = treatment?.questionnaire.questions ?? []
        message.consultation = ClinicalMessages.consultation(consultation, events: events, questionOrder: questions.map(\.id),
                                                             checkoutWindowDays: ConsultationService.checkoutWindowDays)
        var byQuestion: [QuestionID: [ConsultationRecord.AnswerEvent]] = [:]
        for event in events { byQuestion[event.questionID, default: []].append(event) }
        let asked = questions.map(\.id).filter { byQuestion[$0] != nil }
        message.answerHistory = asked.map { id in
            let question = questions.first { $0.id == id }
            var history = Medexpress_V1_QuestionHistory()
            history.questionId = id.rawValue
            history.questionText = question?.text ?? ""
            history.safetyCritical = question?.safetyCritical ?? false
            history.events = (byQuestion[id] ?? []).map { event in
                var wire = Medexpress_V1_AnswerEvent()
                wire.sequence = event.sequence
                wire.answer = event.answer
                wire.recordedAt = Timestamps.timestamp(microseconds: event.recordedAt)
                wire.changed = event.changed
                return wire
            }
            history.changed = history.events.contains(where: \.changed)
            return history
        }

        if let row = try tx.query("SELECT checkout_flags FROM orders WHERE id = $1", [.text(order.id)]).first {
            message.checkoutFlags = try Medexpress_V1_ClinicalAssessment(decoding: try row.bytes("checkout_flags")).flags
        }
        message.verifications = try tx.query("SELECT id, details FROM verifications WHERE order_id = $1 ORDER BY recorded_at_us",
                                             [.text(order.id)]).map { row in
            try Medexpress_V1_Verification(decoding: try cipher.open(try row.bytes("details"),
                                                                     context: FieldContext(table: "verifications", column: "details", row: try row.string("id"))))
        }
        hasIndependentWeightVerification = message.verifications.contains(where: \.independent)
        message.messages = message.order?.messages ?? []
        message.earlierConsultations = try tx.query("""
            SELECT c.id, c.treatment_id, c.submitted_at_us, c.state, o.id AS order_id, o.status AS order_status
            FROM consultations c LEFT JOIN orders o ON o.consultation_id = c.id
            WHERE c.customer_id = $1 AND c.id <> $2 ORDER BY c.started_at_us DESC LIMIT $3
            """, [.text(order.customerID), .text(consultation.id), .integer(Int64(Self.maxEarlierConsultations))]).map { row in
            var earlier = Medexpress_V1_EarlierConsultation()
            earlier.consultationId = try row.string("id")
            earlier.treatmentId = try row.string("treatment_id")
            if let submitted = try row.optionalInt64("submitted_at_us") { earlier.submittedAt = Timestamps.timestamp(microseconds: submitted) }
            earlier.state = Medexpress_V1_Consultation.State(rawValue: Int32(try row.int64("state")))
            if let orderID = try row.optionalString("order_id") {
                earlier.orderId = orderID
                earlier.orderStatus = OrderMessages.message(try OrderMessages.status(stored: try row.int64("order_status")))
            }
            return earlier
        }
        self.message = message
    }
}
