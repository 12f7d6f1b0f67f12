import Generated
import RPCCore
import Store
import Trust

/// Replacing a member of staff's authenticator: a new secret is held aside until a code from the
/// new device proves it was set up, then replaces the old one (which stops working at once).
extension AuthService {
    public func beginMfaEnrollment(_ request: Medexpress_V1_BeginMfaEnrollmentRequest, context: ServerContext) async throws
        -> Medexpress_V1_BeginMfaEnrollmentResponse {
        let caller = try context.requireCaller()
        let secret = TOTPSecret.generate()
        let now = clock()
        let dialect = store.dialect
        let cipher = vault.cipher
        let username: String = try await store.write { tx in
            guard let row = try tx.query("SELECT username FROM staff WHERE id = $1 AND disabled = 0", [.text(caller.subjectID)]).first else {
                throw Status(.notFound, "no active staff account \(caller.subjectID)")
            }
            let sealed = cipher.seal(secret.bytes, context: FieldContext(table: "staff", column: "pending_totp_secret", row: caller.subjectID))
            try tx.execute("UPDATE staff SET pending_totp_secret = $1 WHERE id = $2", [.blob(sealed), .text(caller.subjectID)])
            try AuditLog.append(AuditEntry(atMicroseconds: now, actor: caller.subjectID, role: caller.role.rawValue,
                                           certificateThumbprint: caller.certificateThumbprint ?? "", method: context.method.path,
                                           resource: caller.subjectID, action: "mfa.enrolment.started"), in: tx, dialect: dialect)
            return try row.string("username")
        }
        var response = Medexpress_V1_BeginMfaEnrollmentResponse()
        response.provisioningUri = TOTP(secret: secret).provisioningURI(issuer: StaffDirectory.totpIssuer, account: username)
        response.secret = secret.base32
        return response
    }

    public func confirmMfaEnrollment(_ request: Medexpress_V1_ConfirmMfaEnrollmentRequest, context: ServerContext) async throws
        -> Medexpress_V1_ConfirmMfaEnrollmentResponse {
        let caller = try context.requireCaller()
        let now = clock()
        let dialect = store.dialect
        let cipher = vault.cipher
        let code = request.code
        try await store.write { tx in
            guard let row = try tx.query("SELECT pending_totp_secret FROM staff WHERE id = $1 AND disabled = 0",
                                         [.text(caller.subjectID)]).first,
                  let pending = try row.optionalBytes("pending_totp_secret") else {
                throw Status(.failedPrecondition, "no authenticator change is in progress: call BeginMfaEnrollment first")
            }
            let bytes = try cipher.open(pending, context: FieldContext(table: "staff", column: "pending_totp_secret", row: caller.subjectID))
            guard let secret = TOTPSecret(bytes: bytes) else { throw Status(.internalError, "the pending TOTP secret is unreadable") }
            guard let step = TOTP(secret: secret).verify(code, atUnixSeconds: now / 1_000_000, lastAcceptedStep: nil) else {
                throw Status(.invalidArgument, "code: not a current code of the new authenticator")
            }
            let sealed = cipher.seal(bytes, context: FieldContext(table: "staff", column: "totp_secret", row: caller.subjectID))
            try tx.execute("UPDATE staff SET totp_secret = $1, totp_last_step = $2, pending_totp_secret = NULL WHERE id = $3",
                           [.blob(sealed), .integer(step), .text(caller.subjectID)])
            try AuditLog.append(AuditEntry(atMicroseconds: now, actor: caller.subjectID, role: caller.role.rawValue,
                                           certificateThumbprint: caller.certificateThumbprint ?? "", method: context.method.path,
                                           resource: caller.subjectID, action: "mfa.enrolled"), in: tx, dialect: dialect)
        }
        return Medexpress_V1_ConfirmMfaEnrollmentResponse()
    }
}
