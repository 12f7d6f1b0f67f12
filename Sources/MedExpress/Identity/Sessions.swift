import Generated
import RPCCore
import Store
import Trust

/// Sign-in sessions: a bearer access token and a refresh token each, stored only as SHA-256
/// hashes. Refreshing rotates both tokens (a refresh token works once); revoking ends the
/// session at once for every instance, since every call looks its token up.
public struct Sessions: CallerResolver {
    let store: any StoreEngine
    let policy: SessionPolicy
    let clock: @Sendable () -> Int64

    public init(store: any StoreEngine, policy: SessionPolicy = SessionPolicy(),
                clock: @escaping @Sendable () -> Int64 = WallClock.nowMicroseconds) {
        self.store = store
        self.policy = policy
        self.clock = clock
    }

    /// Opens a session for `subjectID` in the caller's write transaction (with the sign-in's audit).
    func issue(subjectID: String, role: Medexpress_V1_Role, certificateThumbprint: String,
               in tx: any WriteTransaction, now: Int64) throws -> Medexpress_V1_Session {
        let (accessSeconds, refreshSeconds) = Self.lifetimes(policy, role)
        let access = SessionToken.generate()
        let refresh = SessionToken.generate()
        let id = "ses_" + Hex.encode(SecureRandom.bytes(16))
        try tx.execute("""
            INSERT INTO sessions (id, subject_id, role, access_hash, refresh_hash, certificate_thumbprint,
                                  access_expires_at_us, refresh_expires_at_us, created_at_us)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """, [.text(id), .text(subjectID), .integer(Int64(role.rawValue)), .blob(SessionToken.hash(access)),
                  .blob(SessionToken.hash(refresh)), .text(certificateThumbprint),
                  .integer(now + accessSeconds * 1_000_000), .integer(now + refreshSeconds * 1_000_000), .integer(now)])
        return Self.message(access: access, refresh: refresh, accessExpiresAt: now + accessSeconds * 1_000_000,
                            refreshExpiresAt: now + refreshSeconds * 1_000_000, subjectID: subjectID, role: role,
                            certificateThumbprint: certificateThumbprint)
    }

    /// Exchanges a refresh token for new tokens. UNAUTHENTICATED when it is unknown, used,
    /// expired or revoked, or (staff) presented without the certificate the session is bound to.
    func refresh(_ refreshToken: String, peer: PeerInfo, method: String) async throws -> Medexpress_V1_Session {
        let now = clock()
        let presentedHash = SessionToken.hash(refreshToken)
        let thumbprint = peer.certificate?.sha256Thumbprint ?? ""
        let access = SessionToken.generate()
        let refresh = SessionToken.generate()
        let policy = policy
        let dialect = store.dialect
        return try await store.write { tx in
            guard let row = try tx.query("""
                SELECT id, subject_id, role, certificate_thumbprint FROM sessions
                WHERE refresh_hash = $1 AND revoked_at_us IS NULL AND refresh_expires_at_us > $2
                """, [.blob(presentedHash), .integer(now)]).first else {
                throw Status(.unauthenticated, "the refresh token is not valid (unknown, used, expired or revoked): sign in again")
            }
            let role = Medexpress_V1_Role(rawValue: Int32(truncatingIfNeeded: try row.int64("role")))
            let bound = try row.string("certificate_thumbprint")
            let subject = try row.string("subject_id")
            guard bound.isEmpty || bound == thumbprint else {
                try AuditLog.append(AuditEntry(atMicroseconds: now, actor: subject, role: role.rawValue,
                                               certificateThumbprint: thumbprint, method: method, resource: subject,
                                               action: "token.refresh.failed", outcome: "certificate does not match the session"),
                                    in: tx, dialect: dialect)
                throw Status(.unauthenticated, "this session is bound to another client certificate")
            }
            let (accessSeconds, refreshSeconds) = Self.lifetimes(policy, role)
            let id = try row.string("id")
            // Conditional on the presented hash: of two refreshes racing with one token, one wins.
            let changed = try tx.execute("""
                UPDATE sessions SET access_hash = $1, refresh_hash = $2, access_expires_at_us = $3, refresh_expires_at_us = $4
                WHERE id = $5 AND refresh_hash = $6
                """, [.blob(SessionToken.hash(access)), .blob(SessionToken.hash(refresh)),
                      .integer(now + accessSeconds * 1_000_000), .integer(now + refreshSeconds * 1_000_000),
                      .text(id), .blob(presentedHash)])
            guard changed == 1 else { throw Status(.unauthenticated, "the refresh token was used already: sign in again") }
            try AuditLog.append(AuditEntry(atMicroseconds: now, actor: subject, role: role.rawValue, certificateThumbprint: thumbprint,
                                           method: method, resource: id, action: "token.refreshed"), in: tx, dialect: dialect)
            return Self.message(access: access, refresh: refresh, accessExpiresAt: now + accessSeconds * 1_000_000,
                                refreshExpiresAt: now + refreshSeconds * 1_000_000, subjectID: subject, role: role,
                                certificateThumbprint: bound)
        }
    }

    /// Ends the caller's session, or all of its subject's sessions; returns how many ended.
    func revoke(_ caller: Caller, allSessions: Bool, method: String) async throws -> Int {
        let now = clock()
        let dialect = store.dialect
        return try await store.write { tx in
            let ended = allSessions
                ? try tx.execute("UPDATE sessions SET revoked_at_us = $1 WHERE subject_id = $2 AND revoked_at_us IS NULL",
                                 [.integer(now), .text(caller.subjectID)])
                : try tx.execute("UPDATE sessions SET revoked_at_us = $1 WHERE id = $2 AND revoked_at_us IS NULL",
                                 [.integer(now), .text(caller.sessionID ?? "")])
            try AuditLog.append(AuditEntry(atMicroseconds: now, actor: caller.subjectID, role: caller.role.rawValue,
                                           certificateThumbprint: caller.certificateThumbprint ?? "", method: method,
                                           resource: allSessions ? caller.subjectID : (caller.sessionID ?? ""),
                                           action: "token.revoked", detail: "\(ended) session(s)"), in: tx, dialect: dialect)
            return ended
        }
    }

    public func resolve(bearerToken: String?, peer: PeerInfo) async throws(Status) -> Caller? {
        guard let bearerToken else { return try await serviceAccount(presenting: peer.certificate) }
        let now = clock()
        let hash = SessionToken.hash(bearerToken)
        let row: SQLRow?
        do {
            row = try await store.read { tx in
                try tx.query("""
                    SELECT id, subject_id, role, certificate_thumbprint FROM sessions
                    WHERE access_hash = $1 AND revoked_at_us IS NULL AND access_expires_at_us > $2
                    """, [.blob(hash), .integer(now)]).first
            }
        } catch {
            throw Status(.unavailable, "cannot check the session now: \(error)")
        }
        guard let row else { throw Status(.unauthenticated, "the access token is not valid (unknown, expired or revoked): refresh or sign in") }
        do {
            let bound = try row.string("certificate_thumbprint")
            let presented = peer.certificate?.sha256Thumbprint
            // RFC 8705 §3: a certificate-bound token is good only with that certificate.
            guard bound.isEmpty || bound == presented else {
                throw Status(.unauthenticated, "this token is bound to another client certificate")
            }
            return Caller(role: Medexpress_V1_Role(rawValue: Int32(truncatingIfNeeded: try row.int64("role"))),
                          subjectID: try row.string("subject_id"), sessionID: try row.string("id"),
                          certificateThumbprint: presented)
        } catch let status as Status {
            throw status
        } catch {
            throw Status(.internalError, "a session row is unreadable: \(error)")
        }
    }

    /// The service account (pharmacy system, courier) whose certificate this is: for them the
    /// certificate is the credential. Nil for any other certificate, or none.
    private func serviceAccount(presenting certificate: PeerCertificate?) async throws(Status) -> Caller? {
        guard let certificate else { return nil }
        let row: SQLRow?
        do {
            row = try await store.read { tx in
                try tx.query("SELECT name, role FROM service_accounts WHERE certificate_thumbprint = $1 AND disabled = 0",
                             [.text(certificate.sha256Thumbprint)]).first
            }
        } catch {
            throw Status(.unavailable, "cannot check the service account now: \(error)")
        }
        guard let row else { return nil }
        do {
            return Caller(role: Medexpress_V1_Role(rawValue: Int32(truncatingIfNeeded: try row.int64("role"))),
                          subjectID: try row.string("name"), sessionID: nil, certificateThumbprint: certificate.sha256Thumbprint)
        } catch {
            throw Status(.internalError, "a service account row is unreadable: \(error)")
        }
    }

    /// Access and refresh lifetimes in seconds for a session of `role`.
    private static func lifetimes(_ policy: SessionPolicy, _ role: Medexpress_V1_Role) -> (access: Int64, refresh: Int64) {
        role == .customer ? (policy.customerAccessSeconds, policy.customerRefreshSeconds)
            : (policy.staffAccessSeconds, policy.staffRefreshSeconds)
    }

    static func message(access: String, refresh: String, accessExpiresAt: Int64, refreshExpiresAt: Int64,
                        subjectID: String, role: Medexpress_V1_Role, certificateThumbprint: String) -> Medexpress_V1_Session {
        var session = Medexpress_V1_Session()
        session.accessToken = access
        session.accessTokenExpiresAt = Timestamps.timestamp(microseconds: accessExpiresAt)
        session.refreshToken = refresh
        session.refreshTokenExpiresAt = Timestamps.timestamp(microseconds: refreshExpiresAt)
        session.subjectId = subjectID
        session.role = role
        session.certificateThumbprint = certificateThumbprint
        return session
    }
}

/// Conversions between the store's microseconds and `google.protobuf.Timestamp`.
enum Timestamps {
    static func timestamp(microseconds: Int64) -> Google_Protobuf_Timestamp {
        var timestamp = Google_Protobuf_Timestamp()
        timestamp.seconds = microseconds / 1_000_000
        timestamp.nanos = Int32(microseconds % 1_000_000) * 1000
        return timestamp
    }
}
