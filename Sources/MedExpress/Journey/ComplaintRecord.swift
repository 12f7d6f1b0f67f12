import Domain
import Generated
import RPCCore
import Store
import Trust

/// A complaint about an order as stored, with its sealed text opened. A customer reaches only
/// their own: anyone else's is NOT_FOUND, exactly like one that does not exist. Every change is a
/// conditional update on the state read, so of two changes made at the same moment one wins.
struct ComplaintRecord: Sendable {
    let id: String
    let orderID: String
    let customerID: String
    let reason: Medexpress_V1_ComplaintReason
    let state: ComplaintState
    let description: String
    let evidenceRequest: String?
    let outcome: Medexpress_V1_ComplaintOutcome
    let refundPence: Int64?
    let replacementOrderID: String?
    let resolutionNote: String?
    let filedAt: Int64
    let resolvedAt: Int64?
    /// How often evidence was asked for: numbers each request's email.
    let evidenceRequests: Int64
    /// Photos received: the limit is checked against it in the update that adds one.
    let evidenceCount: Int64

    /// The longest description, evidence request or resolution note.
    static let maxTextCharacters = 2000
    /// The largest photo: 10 MiB, as uploaded.
    static let maxPhotoBytes = 10 * 1024 * 1024
    /// The most photos one complaint holds.
    static let maxPhotos: Int64 = 10
    /// The photo formats taken, checked against the bytes' signature.
    static let contentTypes = ["image/jpeg", "image/png", "image/heic"]

    static let columns = """
        id, order_id, customer_id, reason, state, description, evidence_request, outcome, refund_pence, replacement_order_id,
        resolution_note, filed_at_us, resolved_at_us, evidence_requests, evidence_count
        """

    init(_ row: SQLRow, cipher: FieldCipher) throws {
        id = try row.string("id")
        orderID = try row.string("order_id")
        customerID = try row.string("customer_id")
        reason = Medexpress_V1_ComplaintReason(rawValue: Int32(truncatingIfNeeded: try row.int64("reason")))
        state = try Self.state(stored: try row.int64("state"))
        let id = id
        func open(_ column: String) throws -> String? {
            guard let sealed = try row.optionalBytes(column) else { return nil }
            return try cipher.openString(sealed, context: FieldContext(table: "complaints", column: column, row: id))
        }
        description = try open("description") ?? ""
        evidenceRequest = try open("evidence_request")
        outcome = Medexpress_V1_ComplaintOutcome(rawValue: Int32(truncatingIfNeeded: try row.int64("outcome")))
        refundPence = try row.optionalInt64("refund_pence")
        replacementOrderID = try row.optionalString("replacement_order_id")
        resolutionNote = try open("resolution_note")
        filedAt = try row.int64("filed_at_us")
        resolvedAt = try row.optionalInt64("resolved_at_us")
        evidenceRequests = try row.int64("evidence_requests")
        evidenceCount = try row.int64("evidence_count")
    }

    /// The complaint `id` if it belongs to `customerID` (any complaint when nil); nil otherwise.
    static func load(_ id: String, ownedBy customerID: String?, in tx: any ReadTransaction, cipher: FieldCipher) throws -> ComplaintRecord? {
        guard OpaqueID.isWellFormed(id, prefix: .complaint) else { return nil }
        guard let row = try tx.query("SELECT \(columns) FROM complaints WHERE id = $1", [.text(id)]).first else { return nil }
        let record = try ComplaintRecord(row, cipher: cipher)
        if let customerID, record.customerID != customerID { return nil }
        return record
    }

    /// NOT_FOUND unless the complaint exists and, with `customerID`, is theirs.
    static func require(_ id: String, ownedBy customerID: String?, in tx: any ReadTransaction, cipher: FieldCipher) throws -> ComplaintRecord {
        guard !id.isEmpty else { throw Status(.invalidArgument, "complaint_id: which complaint is needed") }
        guard let record = try load(id, ownedBy: customerID, in: tx, cipher: cipher) else {
            throw Status(.notFound, "complaint \(id.prefix(64)) not found")
        }
        return record
    }

    /// The state after `event`: FAILED_PRECONDITION naming the state when it is not allowed.
    func next(_ event: ComplaintEvent) throws(Status) -> ComplaintState {
        do {
            return try state.applying(event)
        } catch {
            throw Status(.failedPrecondition, error.description)
        }
    }

    /// `text` sealed for `column` of complaint `id`.
    static func seal(_ text: String, column: String, complaint id: String, cipher: FieldCipher) -> SQLValue {
        .blob(cipher.seal(text, context: FieldContext(table: "complaints", column: column, row: id)))
    }

    /// ABORTED unless exactly one row changed: another change won the race.
    static func requireOneChanged(_ changed: Int, _ id: String) throws(Status) {
        guard changed == 1 else { throw Status(.aborted, "complaint \(id) changed at the same moment; read it again and retry") }
    }

    /// "cmp_…/03": the evidence row's id, which its sealed bytes are bound to.
    static func evidenceID(complaint: String, number: Int64) -> String {
        complaint + "/" + (number < 10 ? "0" : "") + String(number)
    }

    /// The complaint's photos, oldest first; their bytes only with `includingContent` (GetComplaint).
    static func evidence(of complaintID: String, includingContent: Bool, in tx: any ReadTransaction,
                         cipher: FieldCipher) throws -> [Medexpress_V1_Evidence] {
        let content = includingContent ? ", content" : ""
        return try tx.query("""
            SELECT id, complaint_id, content_type, size_bytes, sha256, uploaded_at_us\(content) FROM complaint_evidence
            WHERE complaint_id = $1 ORDER BY id
            """, [.text(complaintID)]).map { row in
            var evidence = Medexpress_V1_Evidence()
            evidence.evidenceId = try row.string("id")
            evidence.complaintId = try row.string("complaint_id")
            evidence.contentType = try row.string("content_type")
            evidence.sizeBytes = try row.int64("size_bytes")
            evidence.sha256 = try row.string("sha256")
            evidence.uploadedAt = Timestamps.timestamp(microseconds: try row.int64("uploaded_at_us"))
            if includingContent {
                evidence.content = try cipher.open(try row.bytes("content"),
                                                   context: FieldContext(table: "complaint_evidence", column: "content",
                                                                         row: evidence.evidenceId))
            }
            return evidence
        }
    }

    /// The complaint as the API gives it, with `evidence` (none in lists).
    func message(with evidence: [Medexpress_V1_Evidence] = []) -> Medexpress_V1_Complaint {
        var complaint = Medexpress_V1_Complaint()
        complaint.id = id
        complaint.orderId = orderID
        complaint.customerId = customerID
        complaint.reason = reason
        complaint.state = Self.message(state)
        complaint.description = description
        complaint.evidenceRequest = evidenceRequest ?? ""
        complaint.evidence = evidence
        complaint.outcome = outcome
        if let refundPence {
            complaint.refund = .with { $0.minorUnits = refundPence; $0.currency = "GBP" }
        }
        complaint.replacementOrderId = replacementOrderID ?? ""
        complaint.resolutionNote = resolutionNote ?? ""
        complaint.filedAt = Timestamps.timestamp(microseconds: filedAt)
        if let resolvedAt { complaint.resolvedAt = Timestamps.timestamp(microseconds: resolvedAt) }
        return complaint
    }

    /// Whether `bytes` begin with the signature of `contentType`: JPEG's SOI marker, PNG's eight-byte
    /// signature, or for HEIC an ISO BMFF `ftyp` box naming a HEIF brand.
    static func signatureMatches(_ contentType: String, _ bytes: [UInt8]) -> Bool {
        switch contentType {
        case "image/jpeg":
            return bytes.starts(with: [0xFF, 0xD8, 0xFF])
        case "image/png":
            return bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        case "image/heic":
            guard bytes.count >= 12, bytes[4..<8].elementsEqual("ftyp".utf8) else { return false }
            let brand = String(decoding: bytes[8..<12], as: UTF8.self)
            return ["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"].contains(brand)
        default:
            return false
        }
    }

    /// The wire's state for `state`; the store keeps its `medexpress.v1.ComplaintState` number.
    static func message(_ state: ComplaintState) -> Medexpress_V1_ComplaintState {
        switch state {
        case .open: .complaintOpen
        case .evidenceRequested: .evidenceRequested
        case .resolved: .complaintResolved
        }
    }

    static func stored(_ state: ComplaintState) -> Int64 { Int64(message(state).rawValue) }

    static func state(stored value: Int64) throws(StoreError) -> ComplaintState {
        switch Medexpress_V1_ComplaintState(rawValue: Int32(truncatingIfNeeded: value)) {
        case .complaintOpen: .open
        case .evidenceRequested: .evidenceRequested
        case .complaintResolved: .resolved
        default: throw StoreError.schema("complaints.state holds \(value), which is no complaint state")
        }
    }
}

/// Where a `refunds` row stands: PENDING when the resolution queued it, then COMPLETED or FAILED
/// when the outbox heard from the payment gateway.
enum RefundState: Int64, Sendable {
    case pending = 1
    case completed = 2
    case failed = 3
}
