import Domain
import Generated
import RPCCore
import Store
import Trust

/// A consultation as stored, with its sealed parts opened.
struct ConsultationRecord: Sendable {
    /// The stored `state` column: the proto's `Consultation.State` numbers.
    typealias State = Medexpress_V1_Consultation.State

    /// What a prescriber decided on the order placed from it (the `outcome` column).
    enum Outcome: Int64, Sendable {
        case undecided = 0
        case prescribed = 1
        case refused = 2
    }

    let id: String
    let customerID: String
    let treatmentID: TreatmentID
    let questionnaireVersion: String
    let state: State
    let outcome: Outcome
    let answerCount: Int64
    let startedAt: Int64
    let submittedAt: Int64?
    let assessment: Medexpress_V1_ClinicalAssessment?

    /// One recorded answer: every call of RecordAnswer, in order.
    struct AnswerEvent: Sendable {
        let sequence: Int64
        let questionID: QuestionID
        let answer: Medexpress_V1_Answer
        let changed: Bool
        let recordedAt: Int64
    }

    static let columns = """
        id, customer_id, treatment_id, questionnaire_version, state, outcome, answer_count, started_at_us,
        submitted_at_us, assessment
        """

    init(_ row: SQLRow, cipher: FieldCipher) throws {
        id = try row.string("id")
        customerID = try row.string("customer_id")
        treatmentID = TreatmentID(try row.string("treatment_id"))
        questionnaireVersion = try row.string("questionnaire_version")
        state = State(rawValue: Int32(try row.int64("state")))
        outcome = Outcome(rawValue: try row.int64("outcome")) ?? .undecided
        answerCount = try row.int64("answer_count")
        startedAt = try row.int64("started_at_us")
        submittedAt = try row.optionalInt64("submitted_at_us")
        if let sealed = try row.optionalBytes("assessment") {
            let bytes = try cipher.open(sealed, context: FieldContext(table: "consultations", column: "assessment", row: id))
            assessment = try Medexpress_V1_ClinicalAssessment(decoding: bytes)
        } else {
            assessment = nil
        }
    }

    /// The consultation `id` if it belongs to `customerID`; nil otherwise, so that another
    /// customer's consultation looks exactly like one that does not exist.
    static func load(_ id: String, ownedBy customerID: String?, in tx: any ReadTransaction, cipher: FieldCipher) throws -> ConsultationRecord? {
        guard OpaqueID.isWellFormed(id, prefix: .consultation) else { return nil }
        guard let row = try tx.query("SELECT \(columns) FROM consultations WHERE id = $1", [.text(id)]).first else { return nil }
        let record = try ConsultationRecord(row, cipher: cipher)
        if let customerID, record.customerID != customerID { return nil }
        return record
    }

    /// NOT_FOUND unless the consultation exists and is the caller's.
    static func require(_ id: String, ownedBy customerID: String?, in tx: any ReadTransaction, cipher: FieldCipher) throws -> ConsultationRecord {
        guard !id.isEmpty else { throw Status(.invalidArgument, "consultation_id: which consultation is needed") }
        guard let record = try load(id, ownedBy: customerID, in: tx, cipher: cipher) else {
            throw Status(.notFound, "consultation \(id.prefix(64)) not found")
        }
        return record
    }

    /// Every answer event of consultation `id`, oldest first.
    static func answerEvents(of id: String, in tx: any ReadTransaction, cipher: FieldCipher) throws -> [AnswerEvent] {
        try tx.query("""
            SELECT id, seq, question_id, answer, changed, recorded_at_us FROM consultation_answers
            WHERE consultation_id = $1 ORDER BY seq
            """, [.text(id)]).map { row in
            let rowID = try row.string("id")
            let bytes = try cipher.open(try row.bytes("answer"), context: FieldContext(table: "consultation_answers", column: "answer", row: rowID))
            return AnswerEvent(sequence: try row.int64("seq"), questionID: QuestionID(try row.string("question_id")),
                               answer: try Medexpress_V1_Answer(decoding: bytes), changed: try row.int64("changed") == 1,
                               recordedAt: try row.int64("recorded_at_us"))
        }
    }

    /// The answer events' row key: the consultation and the zero-padded sequence, so rows of one
    /// consultation sort in order.
    static func answerRowID(consultation: String, sequence: Int64) -> String {
        let digits = String(sequence)
        return consultation + "/" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}
