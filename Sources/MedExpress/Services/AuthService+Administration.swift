import Generated
import RPCCore
import Store
import Trust

/// The administrators' AuthService methods: disabling staff and recording identity checks.
extension AuthService {
    /// Disables a member of staff: they cannot sign in again and every session of theirs ends now.
    /// An administrator cannot disable themself (the last administrator would lock everyone out).
    public func disableStaff(_ request: Medexpress_V1_DisableStaffRequest, context: ServerContext) async throws -> Medexpress_V1_StaffMember {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        guard !request.staffId.isEmpty else { throw Status(.invalidArgument, "staff_id: which member of staff is needed") }
        guard request.staffId != caller.subjectID else {
            throw Status(.failedPrecondition, "you cannot disable your own account: ask another administrator")
        }
        let reason = request.reason.trimmingWhitespace
        guard !reason.isEmpty, reason.count <= CustomerDetails.maxTextCharacters else {
            throw Status(.invalidArgument, "reason: 1 to \(CustomerDetails.maxTextCharacters) characters, for the audit log")
        }
        let scope = "DisableStaff:" + caller.subjectID
        let fingerprint = vault.blindIndex.index(scope + ":" + Hex.encode(request.encoded()))
        if let earlier = try await Idempotency.earlierResponse(scope: scope, requestID: request.requestId, fingerprint: fingerprint,
                                                               store: store) {
            return try Medexpress_V1_StaffMember(decoding: earlier)
        }
        let now = clock()
        let dialect = store.dialect
        let cipher = vault.cipher
        let staffID = request.staffId
        let requestID = request.requestId
        return try await store.write { tx in
            guard try tx.execute("UPDATE staff SET disabled = 1 WHERE id = $1", [.text(staffID)]) == 1 else {
                throw Status(.notFound, "staff_id: no member of staff \(staffID)")
            }
            let ended = try tx.execute("UPDATE sessions SET revoked_at_us = $1 WHERE subject_id = $2 AND revoked_at_us IS NULL",
                                       [.integer(now), .text(staffID)])
            guard let row = try tx.query("""
                SELECT id, username, role, given_name, family_name, registration_body, registration_number, profession,
                       disabled, created_at_us
                FROM staff WHERE id = $1
                """, [.text(staffID)]).first else { throw Status(.notFound, "staff_id: no member of staff \(staffID)") }
            let member = try Self.staffMember(row, cipher: cipher)
            try Idempotency.record(scope: scope, requestID: requestID, fingerprint: fingerprint, response: member.encoded(),
                                   now: now, in: tx)
            try AuditLog.append(AuditEntry(atMicroseconds: now, actor: caller.subjectID, role: caller.role.rawValue,
                                           certificateThumbprint: caller.certificateThumbprint ?? "", method: context.method.path,
                                           resource: staffID, action: "staff.disabled",
                                           detail: "\(ended) session(s) ended; reason: \(reason)"), in: tx, dialect: dialect)
            return member
        }
    }

    /// Records the outcome of an identity check on a customer (the check's method and notes are
    /// sealed: they can describe documents).
    public func verifyCustomerIdentity(_ request: Medexpress_V1_VerifyCustomerIdentityRequest, context: ServerContext) async throws
        -> Medexpress_V1_VerifyCustomerIdentityResponse {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        guard request.outcome == .verified || request.outcome == .failed else {
            throw Status(.invalidArgument, "outcome: VERIFIED or FAILED")
        }
        let method = request.method.trimmingWhitespace
        guard !method.isEmpty, method.count <= CustomerDetails.maxTextCharacters else {
            throw Status(.invalidArgument, "method: what was checked (passport, driving licence, …), 1 to \(CustomerDetails.maxTextCharacters) characters")
        }
        guard request.notes.count <= 2000 else { throw Status(.invalidArgument, "notes: at most 2000 characters") }
        let scope = "VerifyCustomerIdentity:" + caller.subjectID
        let fingerprint = vault.blindIndex.index(scope + ":" + Hex.encode(request.encoded()))
        if let earlier = try await Idempotency.earlierResponse(scope: scope, requestID: request.requestId, fingerprint: fingerprint,
                                                               store: store) {
            return try Medexpress_V1_VerifyCustomerIdentityResponse(decoding: earlier)
        }
        let now = clock()
        let id = "idc_" + Hex.encode(SecureRandom.bytes(16))
        let cipher = vault.cipher
        let sealedMethod = cipher.seal(method, context: FieldContext(table: "customer_identity_checks", column: "method", row: id))
        let sealedNotes = cipher.seal(request.notes, context: FieldContext(table: "customer_identity_checks", column: "notes", row: id))
        var response = Medexpress_V1_VerifyCustomerIdentityResponse()
        response.customerId = request.customerId
        response.outcome = request.outcome
        response.recordedAt = Timestamps.timestamp(microseconds: now)
        let responseBytes = response.encoded()
        let dialect = store.dialect
        let customerID = request.customerId
        let outcome = request.outcome
        let requestID = request.requestId
        try await store.write { tx in
            guard try tx.execute("UPDATE customers SET identity_status = $1 WHERE id = $2",
                                 [.integer(Int64(outcome.rawValue)), .text(customerID)]) == 1 else {
                throw Status(.notFound, "customer_id: no customer \(customerID)")
            }
            try tx.execute("""
                INSERT INTO customer_identity_checks (id, customer_id, outcome, method, notes, checked_by, checked_at_us)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, [.text(id), .text(customerID), .integer(Int64(outcome.rawValue)), .blob(sealedMethod), .blob(sealedNotes),
                      .text(caller.subjectID), .integer(now)])
            try Idempotency.record(scope: scope, requestID: requestID, fingerprint: fingerprint, response: responseBytes,
                                   now: now, in: tx)
            try AuditLog.append(AuditEntry(atMicroseconds: now, actor: caller.subjectID, role: caller.role.rawValue,
                                           certificateThumbprint: caller.certificateThumbprint ?? "", method: context.method.path,
                                           resource: customerID, action: "identity.checked",
                                           outcome: outcome == .verified ? "verified" : "failed", detail: "check \(id)"),
                                in: tx, dialect: dialect)
        }
        return response
    }

    static func staffMember(_ row: SQLRow, cipher: FieldCipher) throws -> Medexpress_V1_StaffMember {
        let id = try row.string("id")
        func open(_ column: String) throws -> String {
            try cipher.openString(try row.bytes(column), context: FieldContext(table: "staff", column: column, row: id))
        }
        var member = Medexpress_V1_StaffMember()
        member.staffId = id
        member.username = try row.string("username")
        member.role = Medexpress_V1_Role(rawValue: Int32(truncatingIfNeeded: try row.int64("role")))
        member.givenName = try open("given_name")
        member.familyName = try open("family_name")
        let body = Medexpress_V1_ProfessionalRegistration.Body(rawValue: Int32(truncatingIfNeeded: try row.int64("registration_body")))
        if body != .unspecified {
            member.registration = .with {
                $0.body = body
                $0.registrationNumber = (try? row.string("registration_number")) ?? ""
                $0.profession = (try? row.string("profession")) ?? ""
            }
        }
        member.disabled = try row.int64("disabled") == 1
        member.createdAt = Timestamps.timestamp(microseconds: try row.int64("created_at_us"))
        return member
    }
}
