import Generated
import Glibc
import RPCCore
import Store
import Trust

/// `medexpress.v1.AuthService`: customer registration; sign-in for customers (email, password)
/// and staff (client certificate, password, TOTP); refresh and sign-out; the staff directory
/// (CreateStaff from a certificate request, DisableStaff); replacing a staff member's
/// authenticator; recording identity checks.
public struct AuthService: Medexpress_V1_AuthServiceProvider {
    let store: any StoreEngine
    let vault: Vault
    let sessions: Sessions
    let passwords: PasswordHasher
    /// Where password hashing runs: scrypt takes ~0.5 s and 128 MiB, never on an event loop.
    let blocking: BlockingPool
    /// Signs staff certificate requests (CreateStaff); nil where the CA's key is not kept.
    let staffAuthority: CertificateAuthority?
    let staffDirectory: StaffDirectory
    let clock: @Sendable () -> Int64

    public init(store: any StoreEngine, vault: Vault, sessions: Sessions, blocking: BlockingPool,
                staffAuthority: CertificateAuthority? = nil, passwords: PasswordHasher = PasswordHasher(),
                clock: @escaping @Sendable () -> Int64 = WallClock.nowMicroseconds) {
        self.store = store
        self.vault = vault
        self.sessions = sessions
        self.blocking = blocking
        self.staffAuthority = staffAuthority
        self.passwords = passwords
        self.clock = clock
        staffDirectory = StaffDirectory(store: store, vault: vault, blocking: blocking, passwords: passwords, clock: clock)
    }

    typealias Method = Medexpress_V1_AuthService.Method

    public func refreshToken(_ request: Medexpress_V1_RefreshTokenRequest, context: ServerContext) async throws
        -> Medexpress_V1_Session {
        try await sessions.refresh(request.refreshToken, peer: context.peer, method: context.method.path)
    }

    public func logout(_ request: Medexpress_V1_LogoutRequest, context: ServerContext) async throws -> Medexpress_V1_LogoutResponse {
        var response = Medexpress_V1_LogoutResponse()
        response.sessionsEnded = Int32(try await sessions.revoke(try context.requireCaller(), allSessions: request.allSessions,
                                                                 method: context.method.path))
        return response
    }

    // MARK: Registration

    public func registerCustomer(_ request: Medexpress_V1_RegisterCustomerRequest, context: ServerContext) async throws
        -> Medexpress_V1_RegisterCustomerResponse {
        try Idempotency.check(request.requestId)
        let now = clock()
        let details = try CustomerDetails(request, today: Self.utcDate(microseconds: now))
        let address = SignInThrottle.host(of: context.peer.address)
        // The request's fingerprint is keyed: the table must not let anyone test guesses at the
        // password it contains.
        let fingerprint = vault.blindIndex.index("RegisterCustomer:" + Hex.encode(request.encoded()))
        if let earlier = try await Idempotency.earlierResponse(scope: "RegisterCustomer", requestID: request.requestId,
                                                               fingerprint: fingerprint, store: store) {
            return try Medexpress_V1_RegisterCustomerResponse(decoding: earlier)
        }
        try await store.read { tx in try SignInThrottle.check(.registration, address, now: now, in: tx, context: context) }
        let password = request.password
        let passwords = passwords
        let passwordHash = try await blocking.run { passwords.hash(password) }

        let id = OpaqueID.make(prefix: .customer)
        let cipher = vault.cipher
        func seal(_ column: String, _ text: String) -> SQLValue {
            .blob(cipher.seal(text, context: FieldContext(table: "customers", column: column, row: id)))
        }
        var response = Medexpress_V1_RegisterCustomerResponse()
        response.customerId = id
        let birth = details.dateOfBirth
        let values: [SQLValue] = [
            .text(id), .blob(vault.blindIndex.index(details.email)), seal("email", details.email), .text(passwordHash),
            seal("given_name", details.givenName), seal("family_name", details.familyName),
            .blob(cipher.seal(birth.encoded(), context: FieldContext(table: "customers", column: "date_of_birth", row: id))),
            seal("phone", details.phone),
            .blob(cipher.seal(details.address.encoded(), context: FieldContext(table: "customers", column: "address", row: id))),
            .integer(now), .blob(vault.blindIndex.index("household:" + CustomerDetails.householdKey(details.address))),
        ]
        let dialect = store.dialect
        let requestID = request.requestId
        let peer = context.peer
        let responseBytes = response.encoded()
        do {
            try await store.write { tx in
                try SignInThrottle.recordFailure(.registration, address, now: now, in: tx)
                try Idempotency.record(scope: "RegisterCustomer", requestID: requestID, fingerprint: fingerprint,
                                       response: responseBytes, now: now, in: tx)
                try tx.execute("""
                    INSERT INTO customers (id, email_index, email, password_hash, given_name, family_name, date_of_birth,
                                           phone, address, created_at_us, address_index)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                    """, values)
                try AuditLog.append(AuditEntry(atMicroseconds: now, actor: id, role: Medexpress_V1_Role.customer.rawValue,
                                               certificateThumbprint: peer.certificate?.sha256Thumbprint ?? "",
                                               method: Method.registerCustomer.descriptor.path, resource: id,
                                               action: "customer.registered", detail: "from \(address)"),
                                    in: tx, dialect: dialect)
            }
        } catch StoreError.uniqueViolation(let constraint, _) where constraint == "customers_email_index" {
            throw Status(.alreadyExists, "an account with this email exists: sign in, or reset the password")
        } catch StoreError.uniqueViolation(let constraint, _) where constraint == "idempotency_keys_pkey" {
            // The same request arrived twice at once; the other one won.
            if let earlier = try await Idempotency.earlierResponse(scope: "RegisterCustomer", requestID: request.requestId,
                                                                   fingerprint: fingerprint, store: store) {
                return try Medexpress_V1_RegisterCustomerResponse(decoding: earlier)
            }
            throw Status(.aborted, "a request with this request_id is in progress; retry")
        }
        return response
    }

    // MARK: Sign-in

    public func login(_ request: Medexpress_V1_LoginRequest, context: ServerContext) async throws -> Medexpress_V1_Session {
        switch request.principal {
        case .email(let email): return try await customerLogin(email: email, request, context: context)
        case .username(let username): return try await staffLogin(username: username, request, context: context)
        case nil: throw Status(.invalidArgument, "principal: an email (customers) or a username (staff) is needed")
        }
    }

    func customerLogin(email rawEmail: String, _ request: Medexpress_V1_LoginRequest, context: ServerContext) async throws
        -> Medexpress_V1_Session {
        let now = clock()
        let email = BlindIndex.normalisedEmail(rawEmail)
        let emailIndex = vault.blindIndex.index(email)
        let account = Hex.encode(emailIndex)
        let address = SignInThrottle.host(of: context.peer.address)
        let row = try await store.read { tx in
            try SignInThrottle.check(.signIn, address, now: now, in: tx, context: context)
            try SignInThrottle.check(.address, address, now: now, in: tx, context: context)
            try SignInThrottle.check(.account, account, now: now, in: tx, context: context)
            return try tx.query("SELECT id, password_hash FROM customers WHERE email_index = $1", [.blob(emailIndex)]).first
        }
        let id = try row?.string("id")
        let stored = try row?.string("password_hash")
        let password = request.password
        let passwords = passwords
        // An unknown email costs the same scrypt run as a wrong password: timing tells nothing.
        let (matches, rehash) = try await blocking.run { () -> (Bool, String?) in
            guard let stored else {
                _ = passwords.verify(password, against: Self.decoyHash)
                return (false, nil)
            }
            let matches = passwords.verify(password, against: stored)
            return (matches, matches && passwords.needsRehash(stored) ? passwords.hash(password) : nil)
        }
        let dialect = store.dialect
        let sessions = sessions
        let thumbprint = context.peer.certificate?.sha256Thumbprint ?? ""
        let method = context.method.path
        guard let id, matches else {
            try await store.write { tx in
                try SignInThrottle.countAttempt(.signIn, address, now: now, in: tx)
                try SignInThrottle.recordFailure(.account, account, now: now, in: tx)
                try SignInThrottle.recordFailure(.address, address, now: now, in: tx)
                try AuditLog.append(AuditEntry(atMicroseconds: now, actor: id ?? "anonymous", certificateThumbprint: thumbprint,
                                               method: method, resource: id ?? "", action: "login.failed",
                                               outcome: "wrong email or password", detail: "from \(address)"),
                                    in: tx, dialect: dialect)
            }
            throw Status(.unauthenticated, "the email or password is wrong")
        }
        return try await store.write { tx in
            try SignInThrottle.countAttempt(.signIn, address, now: now, in: tx)
            try SignInThrottle.reset(.account, account, in: tx)
            if let rehash {
                try tx.execute("UPDATE customers SET password_hash = $1 WHERE id = $2", [.text(rehash), .text(id)])
            }
            let session = try sessions.issue(subjectID: id, role: .customer, certificateThumbprint: "", in: tx, now: now)
            try AuditLog.append(AuditEntry(atMicroseconds: now, actor: id, role: Medexpress_V1_Role.customer.rawValue,
                                           certificateThumbprint: thumbprint, method: method, resource: id, action: "login",
                                           detail: "from \(address)"), in: tx, dialect: dialect)
            return session
        }
    }

    /// Staff sign-in needs all three: the client certificate on this connection must be one issued
    /// to them, the password, and a current TOTP code not used before. The session is bound to the
    /// certificate (RFC 8705). Failures are counted like customers' and audited with their reason,
    /// but the caller learns only that sign-in failed.
    func staffLogin(username: String, _ request: Medexpress_V1_LoginRequest, context: ServerContext) async throws
        -> Medexpress_V1_Session {
        let now = clock()
        let address = SignInThrottle.host(of: context.peer.address)
        let account = "staff:" + username
        let thumbprint = context.peer.certificate?.sha256Thumbprint
        let row = try await store.read { tx in
            try SignInThrottle.check(.signIn, address, now: now, in: tx, context: context)
            try SignInThrottle.check(.address, address, now: now, in: tx, context: context)
            try SignInThrottle.check(.account, account, now: now, in: tx, context: context)
            return try tx.query("""
                SELECT s.id, s.role, s.password_hash, s.totp_secret, s.totp_last_step, s.disabled,
                       (SELECT COUNT(*) FROM staff_certificates c
                        WHERE c.staff_id = s.id AND c.thumbprint = $2 AND c.revoked_at_us IS NULL) AS certificate_matches
                FROM staff s WHERE s.username = $1
                """, [.text(username), .text(thumbprint ?? "")]).first
        }
        let stored = try row?.string("password_hash")
        let password = request.password
        let passwords = passwords
        let passwordMatches = try await blocking.run { () -> Bool in
            guard let stored else {
                _ = passwords.verify(password, against: Self.decoyHash)
                return false
            }
            return passwords.verify(password, against: stored)
        }
        var failure: String?
        var acceptedStep: Int64?
        let id = try row?.string("id")
        if let row, let id {
            if try row.int64("disabled") == 1 {
                failure = "the account is disabled"
            } else if thumbprint == nil {
                failure = "no client certificate on the connection"
            } else if try row.int64("certificate_matches") == 0 {
                failure = "the client certificate was not issued to this staff member (or is revoked)"
            } else if !passwordMatches {
                failure = "wrong password"
            } else {
                let sealed = try row.bytes("totp_secret")
                let secretBytes = try vault.cipher.open(sealed, context: FieldContext(table: "staff", column: "totp_secret", row: id))
                guard let secret = TOTPSecret(bytes: secretBytes) else { throw Status(.internalError, "a stored TOTP secret is unreadable") }
                let last = try row.int64("totp_last_step")
                acceptedStep = TOTP(secret: secret).verify(request.totpCode, atUnixSeconds: now / 1_000_000,
                                                           lastAcceptedStep: last >= 0 ? last : nil)
                if acceptedStep == nil { failure = "wrong or reused TOTP code" }
            }
        } else {
            failure = "no such username"
        }
        let role = Medexpress_V1_Role(rawValue: Int32(truncatingIfNeeded: try row?.int64("role") ?? 0))
        let dialect = store.dialect
        let sessions = sessions
        let method = context.method.path
        guard let id, let thumbprint, let acceptedStep, failure == nil else {
            let reason = failure ?? "refused"
            try await store.write { tx in
                try SignInThrottle.countAttempt(.signIn, address, now: now, in: tx)
                try SignInThrottle.recordFailure(.account, account, now: now, in: tx)
                try SignInThrottle.recordFailure(.address, address, now: now, in: tx)
                try AuditLog.append(AuditEntry(atMicroseconds: now, actor: id ?? "anonymous", role: role.rawValue,
                                               certificateThumbprint: thumbprint ?? "", method: method, resource: id ?? username,
                                               action: "login.failed", outcome: reason, detail: "from \(address)"),
                                    in: tx, dialect: dialect)
            }
            throw Status(.unauthenticated, "staff sign-in failed: it needs your client certificate, your password and a current code")
        }
        return try await store.write { tx in
            // Each code once (RFC 6238 §5.2): of two sign-ins with one code, one wins.
            let claimed = try tx.execute("UPDATE staff SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1",
                                         [.integer(acceptedStep), .text(id)])
            guard claimed == 1 else { throw Status(.unauthenticated, "staff sign-in failed: that code was used already") }
            try SignInThrottle.countAttempt(.signIn, address, now: now, in: tx)
            try SignInThrottle.reset(.account, account, in: tx)
            let session = try sessions.issue(subjectID: id, role: role, certificateThumbprint: thumbprint, in: tx, now: now)
            try AuditLog.append(AuditEntry(atMicroseconds: now, actor: id, role: role.rawValue, certificateThumbprint: thumbprint,
                                           method: method, resource: id, action: "login", detail: "password, TOTP and certificate; from \(address)"),
                                in: tx, dialect: dialect)
            return session
        }
    }

    /// A valid hash of a random password, verified against when the email is unknown.
    static let decoyHash = PasswordHasher().hash(Hex.encode(SecureRandom.bytes(16)))

    static func utcDate(microseconds: Int64) -> (year: Int, month: Int, day: Int) {
        var seconds = time_t(microseconds / 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return (Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
    }
}
