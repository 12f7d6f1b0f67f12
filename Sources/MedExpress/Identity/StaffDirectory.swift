import Generated
import RPCCore
import Store
import Trust

/// A member of staff as an administrator (or, for the first administrator, the operator at the
/// command line) enters them.
public struct NewStaffMember: Sendable {
    public var username: String
    public var role: Medexpress_V1_Role
    public var givenName: String
    public var familyName: String
    public var email: String
    /// Required for prescribers: who regulates them and their registration number.
    public var registration: Medexpress_V1_ProfessionalRegistration?
    /// Required for prescribers (a private prescription carries the prescriber's address).
    public var address: Medexpress_V1_PostalAddress?
    public var password: String

    public init(username: String, role: Medexpress_V1_Role, givenName: String, familyName: String, email: String,
                registration: Medexpress_V1_ProfessionalRegistration? = nil, address: Medexpress_V1_PostalAddress? = nil,
                password: String) {
        self.username = username
        self.role = role
        self.givenName = givenName
        self.familyName = familyName
        self.email = email
        self.registration = registration
        self.address = address
        self.password = password
    }
}

/// The staff directory: staff records (names and TOTP secrets sealed), and the client
/// certificates issued to each member, which their sign-in must present.
public struct StaffDirectory: Sendable {
    /// The issuer named in authenticator apps.
    public static let totpIssuer = "MedExpress"
    static let staffRoles: [Medexpress_V1_Role] = [.admin, .prescriber, .pharmacist]

    let store: any StoreEngine
    let vault: Vault
    let passwords: PasswordHasher
    let blocking: BlockingPool
    let clock: @Sendable () -> Int64

    public init(store: any StoreEngine, vault: Vault, blocking: BlockingPool, passwords: PasswordHasher = PasswordHasher(),
                clock: @escaping @Sendable () -> Int64 = WallClock.nowMicroseconds) {
        self.store = store
        self.vault = vault
        self.blocking = blocking
        self.passwords = passwords
        self.clock = clock
    }

    /// A client certificate issued to a member of staff, as recorded.
    public struct IssuedCertificate: Sendable, Hashable {
        public let sha256Thumbprint: String
        public let serialNumber: String

        public init(sha256Thumbprint: String, serialNumber: String) {
            self.sha256Thumbprint = sha256Thumbprint
            self.serialNumber = serialNumber
        }
    }

    /// Adds `member` together with the client certificate issued to them, in one transaction;
    /// returns their id and the otpauth:// URI for their authenticator app.
    public func add(_ member: NewStaffMember, certificate: IssuedCertificate, actor: String, method: String) async throws
        -> (staffID: String, provisioningURI: String) {
        let added = try await add(member, certificate: certificate, actor: actor, method: method) { _, _, _ in }
        return (added.staffID, added.provisioningURI)
    }

    /// `add`, also running `alsoInTransaction` (given the new id and URI) in the same transaction
    /// and returning what it made.
    public func add<Extra: Sendable>(_ member: NewStaffMember, certificate: IssuedCertificate, actor: String, method: String,
                                     alsoInTransaction: @escaping @Sendable (any WriteTransaction, _ staffID: String,
                                                                             _ provisioningURI: String) throws -> Extra) async throws
        -> (staffID: String, provisioningURI: String, extra: Extra) {
        try Self.validate(member)
        let password = member.password
        let passwords = passwords
        let passwordHash = try await blocking.run { passwords.hash(password) }
        let id = OpaqueID.make(prefix: .staff)
        let secret = TOTPSecret.generate()
        let cipher = vault.cipher
        func seal(_ column: String, _ bytes: [UInt8]) -> SQLValue {
            .blob(cipher.seal(bytes, context: FieldContext(table: "staff", column: column, row: id)))
        }
        let registration = member.registration ?? Medexpress_V1_ProfessionalRegistration()
        let now = clock()
        let values: [SQLValue] = [
            .text(id), .text(member.username), .integer(Int64(member.role.rawValue)), .text(passwordHash),
            seal("totp_secret", secret.bytes), seal("given_name", Array(member.givenName.utf8)),
            seal("family_name", Array(member.familyName.utf8)), seal("email", Array(BlindIndex.normalisedEmail(member.email).utf8)),
            .integer(Int64(registration.body.rawValue)), .text(registration.registrationNumber), .text(registration.profession),
            .integer(now), member.address.map { seal("address", $0.encoded()) } ?? .null,
        ]
        // A prescriber signs prescriptions with a key of their own (an advanced electronic
        // signature), made now and sealed like every other secret.
        let signingKey = member.role == .prescriber ? Ed25519PrivateKey.generate() : nil
        let signingValues: [SQLValue] = [signingKey.map { seal("signing_key", $0.rawRepresentation) } ?? .null,
                                         signingKey.map { .blob($0.publicKey.rawRepresentation) } ?? .null]
        let dialect = store.dialect
        let role = member.role
        let username = member.username
        let provisioningURI = TOTP(secret: secret).provisioningURI(issuer: Self.totpIssuer, account: member.username)
        let extra: Extra
        do {
            extra = try await store.write { tx in
                try tx.execute("""
                    INSERT INTO staff (id, username, role, password_hash, totp_secret, given_name, family_name, email,
                                       registration_body, registration_number, profession, created_at_us, address,
                                       signing_key, signing_public_key)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                    """, values + signingValues)
                try AuditLog.append(AuditEntry(atMicroseconds: now, actor: actor, method: method, resource: id, action: "staff.created",
                                               detail: "username \(username), role \(role.rawValue)"), in: tx, dialect: dialect)
                try Self.record(certificate, staffID: id, now: now, actor: actor, method: method, in: tx, dialect: dialect)
                return try alsoInTransaction(tx, id, provisioningURI)
            }
        } catch StoreError.uniqueViolation(let constraint, _) where constraint == "staff_username" {
            throw Status(.alreadyExists, "username: \(member.username) is taken")
        }
        return (id, provisioningURI, extra)
    }

    /// Records another client certificate issued to `staffID` (a new device, a renewal).
    public func recordCertificate(_ certificate: IssuedCertificate, staffID: String, actor: String, method: String) async throws {
        let now = clock()
        let dialect = store.dialect
        try await store.write { tx in
            try Self.record(certificate, staffID: staffID, now: now, actor: actor, method: method, in: tx, dialect: dialect)
        }
    }

    /// Only certificates recorded here sign in.
    private static func record(_ certificate: IssuedCertificate, staffID: String, now: Int64, actor: String, method: String,
                               in tx: any WriteTransaction, dialect: SQLDialect) throws {
        try tx.execute("INSERT INTO staff_certificates (thumbprint, staff_id, serial, issued_at_us) VALUES ($1, $2, $3, $4)",
                       [.text(certificate.sha256Thumbprint), .text(staffID), .text(certificate.serialNumber), .integer(now)])
        try AuditLog.append(AuditEntry(atMicroseconds: now, actor: actor, method: method, resource: staffID, action: "certificate.issued",
                                       detail: "thumbprint \(certificate.sha256Thumbprint)"), in: tx, dialect: dialect)
    }

    static func validate(_ member: NewStaffMember) throws(Status) {
        let username = member.username
        guard (3...64).contains(username.utf8.count),
              username.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D || $0 == 0x5F }) else {
            throw Status(.invalidArgument, "username: 3 to 64 of a-z, 0-9, '.', '-', '_'")
        }
        guard staffRoles.contains(member.role) else {
            throw Status(.invalidArgument, "role: staff are ADMIN, PRESCRIBER or PHARMACIST")
        }
        for (field, value) in [("given_name", member.givenName), ("family_name", member.familyName)] {
            guard !value.trimmingWhitespace.isEmpty, value.count <= CustomerDetails.maxTextCharacters else {
                throw Status(.invalidArgument, "\(field): 1 to \(CustomerDetails.maxTextCharacters) characters")
            }
        }
        guard CustomerDetails.isPlausibleEmail(BlindIndex.normalisedEmail(member.email)) else {
            throw Status(.invalidArgument, "email: not an email address")
        }
        try CustomerDetails.checkPassword(member.password)
        if member.role == .prescriber {
            // GMC and GPhC registration numbers are seven digits.
            guard let registration = member.registration, [.gmc, .gphc].contains(registration.body),
                  registration.registrationNumber.utf8.count == 7,
                  registration.registrationNumber.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw Status(.invalidArgument, "registration: a prescriber needs a GMC or GPhC registration number (7 digits)")
            }
            // HMR 2012 reg 217: a private prescription carries the prescriber's address.
            guard let address = member.address, !address.lines.isEmpty, !address.postcode.trimmingWhitespace.isEmpty else {
                throw Status(.invalidArgument, "address: a prescriber's address (lines and postcode) is needed")
            }
        }
    }
}
