import Domain
import Generated
import RPCCore
import Store
import Trust

/// `medexpress.v1.ConsultationService`: a customer's online consultation. Every answer is kept
/// as an event (sealed), so a prescriber sees each question's history and every change; submitting
/// runs the treatment's rule set and records which version decided.
public struct ConsultationService: Medexpress_V1_ConsultationServiceProvider {
    /// Consultations a customer may have in progress at once.
    static let maxOpenConsultations = 20
    /// Answer events one consultation may hold (a two-minute questionnaire needs a dozen).
    static let maxAnswerEvents: Int64 = 500
    /// Checkout must follow submission within this many days (API.md: no consultation older than 14 days).
    static let checkoutWindowDays = 14
    /// How far back an earlier refused consultation for the same treatment is compared.
    static let earlierRefusalWindowDays = 180

    let journey: Journey

    public init(journey: Journey) { self.journey = journey }

    typealias Method = Medexpress_V1_ConsultationService.Method

    public func startConsultation(_ request: Medexpress_V1_StartConsultationRequest, context: ServerContext) async throws
        -> Medexpress_V1_Consultation {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        let treatment = try journey.catalog.requireTreatment(request.treatmentId)
        let now = journey.clock()
        let id = OpaqueID.make(prefix: .consultation)
        let customerID = caller.subjectID
        let recorded = try await Idempotency.once(
            scope: "StartConsultation/" + customerID, requestID: request.requestId,
            fingerprint: fingerprint("StartConsultation", request.encoded()), store: journey.store, now: now) { tx in
            let open = try tx.query("SELECT COUNT(*) AS open FROM consultations WHERE customer_id = $1 AND state = $2",
                                    [.text(customerID), .integer(Int64(ConsultationRecord.State.inProgress.rawValue))])
            guard try open.first?.int64("open") ?? 0 < Int64(Self.maxOpenConsultations) else {
                throw Status(.resourceExhausted, "you have \(Self.maxOpenConsultations) consultations in progress: submit or finish one first")
            }
            try tx.execute("""
                INSERT INTO consultations (id, customer_id, treatment_id, questionnaire_version, state, started_at_us)
                VALUES ($1, $2, $3, $4, $5, $6)
                """, [.text(id), .text(customerID), .text(treatment.id.rawValue), .text(treatment.questionnaire.version),
                      .integer(Int64(ConsultationRecord.State.inProgress.rawValue)), .integer(now)])
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.startConsultation.descriptor.path, resource: id,
                                           action: "consultation.started", detail: "treatment=\(treatment.id)"),
                                in: tx, dialect: journey.store.dialect)
            return Array(id.utf8)
        }
        return try await consultation(String(decoding: recorded, as: UTF8.self), ownedBy: customerID)
    }

    public func recordAnswer(_ request: Medexpress_V1_RecordAnswerRequest, context: ServerContext) async throws
        -> Medexpress_V1_RecordAnswerResponse {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        guard !request.questionId.isEmpty else { throw Status(.invalidArgument, "question_id: which question is needed") }
        let value = try AnswerMessages.value(request.answer)
        let customerID = caller.subjectID
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let catalog = journey.catalog
        let recorded = try await Idempotency.once(
            scope: "RecordAnswer/" + customerID, requestID: request.requestId,
            fingerprint: fingerprint("RecordAnswer", request.encoded()), store: journey.store, now: now) { tx in
            let consultation = try ConsultationRecord.require(request.consultationId, ownedBy: customerID, in: tx, cipher: cipher)
            guard consultation.state == .inProgress else {
                throw Status(.failedPrecondition, "consultation is \(consultation.state.protoName): answers can no longer change")
            }
            let questionnaire = try Self.questionnaire(of: consultation, in: catalog)
            guard let question = questionnaire.question(QuestionID(request.questionId)) else {
                throw Status(.invalidArgument, "question_id: questionnaire \(questionnaire.version) has no question \"\(request.questionId.prefix(64))\"")
            }
            do {
                try question.validate(value)
            } catch {
                throw Status(.invalidArgument, "answer: \(error)")
            }
            guard consultation.answerCount < Self.maxAnswerEvents else {
                throw Status(.resourceExhausted, "this consultation holds \(Self.maxAnswerEvents) answers: submit it or start again")
            }
            let previous = try tx.query("""
                SELECT id, answer FROM consultation_answers WHERE consultation_id = $1 AND question_id = $2
                ORDER BY seq DESC LIMIT 1
                """, [.text(consultation.id), .text(question.id.rawValue)]).first
            var changed = false
            if let previous {
                let bytes = try cipher.open(try previous.bytes("answer"),
                                            context: FieldContext(table: "consultation_answers", column: "answer", row: try previous.string("id")))
                changed = try AnswerMessages.value(try Medexpress_V1_Answer(decoding: bytes)) != value
            }
            let sequence = consultation.answerCount + 1
            // The conditional update orders concurrent answers: a second writer holding the same
            // count finds nothing to update and retries from a fresh read.
            guard try tx.execute("UPDATE consultations SET answer_count = $1 WHERE id = $2 AND answer_count = $3 AND state = $4",
                                 [.integer(sequence), .text(consultation.id), .integer(consultation.answerCount),
                                  .integer(Int64(ConsultationRecord.State.inProgress.rawValue))]) == 1 else {
                throw Status(.aborted, "another answer to this consultation was recorded at the same moment; retry")
            }
            let rowID = ConsultationRecord.answerRowID(consultation: consultation.id, sequence: sequence)
            let sealed = cipher.seal(AnswerMessages.message(value).encoded(),
                                     context: FieldContext(table: "consultation_answers", column: "answer", row: rowID))
            try tx.execute("""
                INSERT INTO consultation_answers (id, consultation_id, seq, question_id, answer, changed, recorded_at_us)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, [.text(rowID), .text(consultation.id), .integer(sequence), .text(question.id.rawValue), .blob(sealed),
                      .integer(changed ? 1 : 0), .integer(now)])
            var response = Medexpress_V1_RecordAnswerResponse()
            response.sequence = sequence
            response.recordedAt = Timestamps.timestamp(microseconds: now)
            response.changed = changed
            return response.encoded()
        }
        return try Medexpress_V1_RecordAnswerResponse(decoding: recorded)
    }

    public func submitConsultation(_ request: Medexpress_V1_SubmitConsultationRequest, context: ServerContext) async throws
        -> Medexpress_V1_Consultation {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        let customerID = caller.subjectID
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let catalog = journey.catalog
        let dialect = journey.store.dialect
        _ = try await Idempotency.once(
            scope: "SubmitConsultation/" + customerID, requestID: request.requestId,
            fingerprint: fingerprint("SubmitConsultation", request.encoded()), store: journey.store, now: now) { tx in
            let consultation = try ConsultationRecord.require(request.consultationId, ownedBy: customerID, in: tx, cipher: cipher)
            guard consultation.state == .inProgress else {
                throw Status(.failedPrecondition, "consultation is \(consultation.state.protoName): it was already submitted")
            }
            let questionnaire = try Self.questionnaire(of: consultation, in: catalog)
            guard let treatment = catalog.treatment(consultation.treatmentID),
                  let rules = catalog.ruleSet(for: consultation.treatmentID) else {
                throw Status(.failedPrecondition, "treatment \(consultation.treatmentID) is no longer offered")
            }
            let events = try ConsultationRecord.answerEvents(of: consultation.id, in: tx, cipher: cipher)
            var facts = ClinicalFacts(answers: [:])
            for event in events {
                facts.answers[event.questionID] = try AnswerMessages.value(event.answer)
                if event.changed { facts.changedQuestions.insert(event.questionID) }
            }
            let missing = questionnaire.missingRequired(facts.answers)
            guard missing.isEmpty else {
                throw Status(.failedPrecondition, "consultation is IN_PROGRESS: these questions need an answer first: "
                             + missing.map(\.rawValue).joined(separator: ", "))
            }
            facts.earlierRefusals = try Self.earlierRefusals(of: customerID, treatment: consultation.treatmentID,
                                                             since: now - Int64(Self.earlierRefusalWindowDays) * Instant.microsecondsPerDay,
                                                             in: tx, cipher: cipher)
            facts.customersSharingAddress = try Self.customersSharingAddress(with: customerID, in: tx)
            let assessment = rules.evaluate(facts, medications: treatment.medications)
            let message = ClinicalMessages.assessment(assessment, treatment: treatment)
            let sealed = cipher.seal(message.encoded(), context: FieldContext(table: "consultations", column: "assessment", row: consultation.id))
            guard try tx.execute("""
                UPDATE consultations SET state = $1, submitted_at_us = $2, rule_set_version = $3, flag_count = $4, assessment = $5
                WHERE id = $6 AND state = $7
                """, [.integer(Int64(ConsultationRecord.State.submitted.rawValue)), .integer(now), .text(assessment.ruleSetVersion),
                      .integer(Int64(assessment.flags.count)), .blob(sealed), .text(consultation.id),
                      .integer(Int64(ConsultationRecord.State.inProgress.rawValue))]) == 1 else {
                throw Status(.aborted, "the consultation changed while it was being submitted; retry")
            }
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.submitConsultation.descriptor.path, resource: consultation.id,
                                           action: "consultation.submitted",
                                           detail: "rules=\(assessment.ruleSetVersion) flags=\(assessment.flags.map(\.code).joined(separator: ","))"),
                                in: tx, dialect: dialect)
            return Array(consultation.id.utf8)
        }
        return try await consultation(request.consultationId, ownedBy: customerID)
    }

    public func getConsultation(_ request: Medexpress_V1_GetConsultationRequest, context: ServerContext) async throws
        -> Medexpress_V1_Consultation {
        try await consultation(request.consultationId, ownedBy: try context.requireCaller().subjectID)
    }

    // MARK: Reading

    /// The consultation as its owner sees it: the last answer to each question, with how often it changed.
    func consultation(_ id: String, ownedBy customerID: String) async throws -> Medexpress_V1_Consultation {
        let cipher = journey.vault.cipher
        let catalog = journey.catalog
        return try await journey.store.read { tx in
            let record = try ConsultationRecord.require(id, ownedBy: customerID, in: tx, cipher: cipher)
            let events = try ConsultationRecord.answerEvents(of: id, in: tx, cipher: cipher)
            return ClinicalMessages.consultation(record, events: events,
                                                 questionOrder: catalog.treatment(record.treatmentID)?.questionnaire.questions.map(\.id) ?? [],
                                                 checkoutWindowDays: Self.checkoutWindowDays)
        }
    }

    /// The questionnaire the consultation started with; FAILED_PRECONDITION when the catalog no
    /// longer offers that version.
    static func questionnaire(of consultation: ConsultationRecord, in catalog: Catalog) throws(Status) -> Questionnaire {
        guard let questionnaire = catalog.treatment(consultation.treatmentID)?.questionnaire,
              questionnaire.version == consultation.questionnaireVersion else {
            throw Status(.failedPrecondition, "questionnaire \(consultation.questionnaireVersion) was replaced by a new version: start a new consultation")
        }
        return questionnaire
    }

    /// The final answers of the customer's consultations for `treatment` whose order a prescriber
    /// refused since `since`.
    static func earlierRefusals(of customerID: String, treatment: TreatmentID, since: Int64, in tx: any ReadTransaction,
                                cipher: FieldCipher) throws -> [[QuestionID: AnswerValue]] {
        let rows = try tx.query("""
            SELECT id FROM consultations WHERE customer_id = $1 AND treatment_id = $2 AND outcome = $3 AND submitted_at_us >= $4
            ORDER BY submitted_at_us DESC LIMIT 5
            """, [.text(customerID), .text(treatment.rawValue), .integer(ConsultationRecord.Outcome.refused.rawValue), .integer(since)])
        return try rows.map { row in
            var answers: [QuestionID: AnswerValue] = [:]
            for event in try ConsultationRecord.answerEvents(of: try row.string("id"), in: tx, cipher: cipher) {
                answers[event.questionID] = try AnswerMessages.value(event.answer)
            }
            return answers
        }
    }

    /// Other customers registered at the same address (by its blind index).
    static func customersSharingAddress(with customerID: String, in tx: any ReadTransaction) throws -> Int {
        let rows = try tx.query("""
            SELECT COUNT(*) AS others FROM customers
            WHERE address_index = (SELECT address_index FROM customers WHERE id = $1) AND id <> $1
            """, [.text(customerID)])
        return Int(try rows.first?.int64("others") ?? 0)
    }

    /// A keyed fingerprint of a request: the idempotency table must not let anyone test guesses
    /// at the health data a request carries.
    func fingerprint(_ method: String, _ bytes: [UInt8]) -> [UInt8] {
        journey.vault.blindIndex.index(method + ":" + Hex.encode(bytes))
    }
}
