import Domain
import Generated
import Glibc
import MedExpress
import RPCCore
import RPCServer
import Store

/// `medexpress audit verify`: walks the audit log's hash chain; exit 0 when intact, 1 naming the
/// first broken entry.
struct AuditVerifyCommand {
    let data: DataStore

    init(_ rawArguments: ArraySlice<String>) throws(UsageError) {
        var arguments = try Arguments(rawArguments, booleanFlags: [])
        data = DataStore(&arguments)
        try arguments.rejectUnknown()
    }

    func run() async throws -> Int32 {
        let engine = try await data.openDatabase(log: Logger(component: "audit", minimumLevel: .warning))
        let verification: AuditLog.Verification
        do {
            verification = try await AuditLog.verify(engine)
        } catch {
            await engine.close()
            throw error
        }
        await engine.close()
        switch verification {
        case .intact(let entries):
            printLine("audit log intact: \(entries) entries")
            return 0
        case .broken(let sequence, let reason):
            printLine("audit log broken at entry \(sequence): \(reason)")
            return 1
        }
    }
}

/// `medexpress keys rotate`: introduces a new data key, makes it active and re-seals every
/// encrypted column under it.
struct KeysRotateCommand {
    let data: DataStore

    init(_ rawArguments: ArraySlice<String>) throws(UsageError) {
        var arguments = try Arguments(rawArguments, booleanFlags: [])
        data = DataStore(&arguments)
        try arguments.rejectUnknown()
    }

    func run() async throws {
        let engine = try await data.openDatabase(log: Logger(component: "keys", minimumLevel: .warning))
        do {
            let master = try data.masterKey(create: false)
            _ = try await Vault.open(master: master, store: engine)
            let id = try await Vault.rotate(master: master, store: engine, columns: Schema.encryptedColumns)
            printLine("data key \(id) is active; every encrypted column is sealed under it")
        } catch {
            await engine.close()
            throw error
        }
        await engine.close()
    }
}

/// `medexpress staff add`: adds a member of staff (the first administrator, typically), issues
/// them a client certificate from the data directory's CA and prints their TOTP provisioning URI.
/// The password comes from MEDEXPRESS_STAFF_PASSWORD or the first line of standard input, never
/// from the command line (other users can read a process's arguments).
struct StaffAddCommand {
    static let passwordVariable = "MEDEXPRESS_STAFF_PASSWORD"

    let data: DataStore
    let member: NewStaffMember

    init(_ rawArguments: ArraySlice<String>) throws(UsageError) {
        var arguments = try Arguments(rawArguments, booleanFlags: [])
        data = DataStore(&arguments)
        let roleName = arguments.string("role", default: "")
        let role: Medexpress_V1_Role
        switch roleName.uppercased() {
        case "ADMIN": role = .admin
        case "PRESCRIBER": role = .prescriber
        case "PHARMACIST": role = .pharmacist
        default: throw UsageError("--role must be ADMIN, PRESCRIBER or PHARMACIST, got \(roleName.isEmpty ? "nothing" : roleName)")
        }
        var registration: Medexpress_V1_ProfessionalRegistration?
        if let body = arguments.string("registering-body") {
            var value = Medexpress_V1_ProfessionalRegistration()
            switch body.uppercased() {
            case "GMC": value.body = .gmc
            case "GPHC": value.body = .gphc
            default: throw UsageError("--registering-body must be GMC or GPHC, got \(body)")
            }
            value.registrationNumber = arguments.string("registration-number", default: "")
            value.profession = arguments.string("profession", default: "")
            registration = value
        }
        let username = arguments.string("username", default: "")
        let givenName = arguments.string("given-name", default: "")
        let familyName = arguments.string("family-name", default: "")
        let email = arguments.string("email", default: "")
        var address: Medexpress_V1_PostalAddress?
        if let lines = arguments.string("address") {
            var value = Medexpress_V1_PostalAddress()
            value.lines = lines.split(separator: ";").map { line in
                String(line.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
            }.filter { !$0.isEmpty }
            value.town = arguments.string("town", default: "")
            value.postcode = arguments.string("postcode", default: "")
            address = value
        }
        try arguments.rejectUnknown()
        guard let password = Self.password() else {
            throw UsageError("the password comes from \(Self.passwordVariable) or the first line of standard input")
        }
        member = NewStaffMember(username: username, role: role, givenName: givenName, familyName: familyName, email: email,
                                registration: registration, address: address, password: password)
    }

    private static func password() -> String? {
        if let value = getenv(passwordVariable), value.pointee != 0 { return String(cString: value) }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else { return nil }
        return line
    }

    func run() async throws {
        let log = Logger(component: "staff", minimumLevel: .warning)
        let engine = try await data.openDatabase(log: log)
        do {
            try await add(on: engine, log: log)
        } catch {
            await engine.close()
            throw error
        }
        await engine.close()
    }

    private func add(on engine: any StoreEngine, log: Logger) async throws {
        let vault = try await Vault.open(master: try data.masterKey(create: true), store: engine)
        let blocking = try await BlockingPool.start(name: "staff-add", threadCount: 1, queueCapacity: 1)
        let directory = StaffDirectory(store: engine, vault: vault, blocking: blocking)
        let issued = try ClientCertificateFiles.issue(dataDirectory: data.dataDirectory, commonName: member.username,
                                                      organization: "MedExpress staff", log: log)
        let added: (staffID: String, provisioningURI: String)
        do {
            added = try await directory.add(member, certificate: .init(sha256Thumbprint: issued.sha256Thumbprint,
                                                                       serialNumber: issued.serialNumber),
                                            actor: "operator", method: "medexpress staff add")
        } catch {
            await blocking.close()
            throw error
        }
        await blocking.close()
        let (certificatePath, keyPath) = try ClientCertificateFiles.write(issued, dataDirectory: data.dataDirectory,
                                                                          folder: "staff", name: member.username)
        printLine("staff member \(added.staffID) (\(member.username)) added")
        printLine("client certificate: \(certificatePath) (key \(keyPath), mode 0600)")
        printLine("TOTP: \(added.provisioningURI)")
    }
}

/// Client certificates from the data directory's CA (made on first use): issued in memory, then
/// written as DIR/FOLDER/NAME.pem and NAME.key (0600) once the database has recorded them.
enum ClientCertificateFiles {
    /// How long an issued client certificate lasts.
    static let validityDays = 365

    static func issue(dataDirectory: String, commonName: String, organization: String, log: Logger) throws -> IssuedCertificate {
        let pki = DevelopmentPKI(dataDirectory: dataDirectory)
        try pki.createIfMissing(log: log)
        return try authority(certificateFile: pki.caCertificatePath, keyFile: pki.caKeyPath)
            .issue(commonName: commonName, organization: organization, usage: .client, validityDays: validityDays)
    }

    static func write(_ issued: IssuedCertificate, dataDirectory: String, folder: String, name: String) throws
        -> (certificatePath: String, keyPath: String) {
        let directory = dataDirectory + "/" + folder
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
            throw UsageError("cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        let certificatePath = "\(directory)/\(name).pem"
        let keyPath = "\(directory)/\(name).key"
        try CertificateAuthority.writePEM(issued.privateKeyPEM, to: keyPath, mode: 0o600)
        try CertificateAuthority.writePEM(issued.certificatePEM, to: certificatePath, mode: 0o644)
        return (certificatePath, keyPath)
    }

    /// The CA whose certificate and key are in these PEM files.
    static func authority(certificateFile: String, keyFile: String) throws -> CertificateAuthority {
        try CertificateAuthority(certificatePEM: try read(certificateFile), privateKeyPEM: try read(keyFile))
    }

    private static func read(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else { throw UsageError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { fclose(file) }
        var text = ""
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), file) != nil { text += String(cString: buffer) }
        return text
    }
}

/// `medexpress service-account add`: an integration (the pharmacy management system, a courier)
/// whose client certificate is its credential: issues the certificate and records it.
struct ServiceAccountAddCommand {
    let data: DataStore
    let name: String
    let role: Medexpress_V1_Role

    init(_ rawArguments: ArraySlice<String>) throws(UsageError) {
        var arguments = try Arguments(rawArguments, booleanFlags: [])
        data = DataStore(&arguments)
        name = arguments.string("name", default: "")
        let roleName = arguments.string("role", default: "")
        switch roleName.uppercased() {
        case "PHARMACY_SYSTEM": role = .pharmacySystem
        case "COURIER": role = .courier
        default: throw UsageError("--role must be PHARMACY_SYSTEM or COURIER, got \(roleName.isEmpty ? "nothing" : roleName)")
        }
        try arguments.rejectUnknown()
    }

    func run() async throws {
        let log = Logger(component: "service-account", minimumLevel: .warning)
        let engine = try await data.openDatabase(log: log)
        do {
            _ = try await Vault.open(master: try data.masterKey(create: true), store: engine)
            let issued = try ClientCertificateFiles.issue(dataDirectory: data.dataDirectory, commonName: name,
                                                          organization: "MedExpress service account", log: log)
            try await ServiceAccounts(store: engine).add(name: name, role: role, certificateThumbprint: issued.sha256Thumbprint,
                                                         actor: "operator", method: "medexpress service-account add")
            let (certificatePath, keyPath) = try ClientCertificateFiles.write(issued, dataDirectory: data.dataDirectory,
                                                                              folder: "service-accounts", name: name)
            printLine("service account \(name) added")
            printLine("client certificate: \(certificatePath) (key \(keyPath), mode 0600)")
        } catch {
            await engine.close()
            throw error
        }
        await engine.close()
    }
}

/// `medexpress certs issue`: a new client certificate for an existing member of staff (a new
/// device, an expiring certificate), recorded so it signs in; earlier certificates stay valid.
struct CertsIssueCommand {
    let data: DataStore
    let username: String

    init(_ rawArguments: ArraySlice<String>) throws(UsageError) {
        var arguments = try Arguments(rawArguments, booleanFlags: [])
        data = DataStore(&arguments)
        username = arguments.string("username", default: "")
        try arguments.rejectUnknown()
        guard !username.isEmpty else { throw UsageError("--username names the member of staff") }
    }

    func run() async throws {
        let log = Logger(component: "certs", minimumLevel: .warning)
        let engine = try await data.openDatabase(log: log)
        do {
            let vault = try await Vault.open(master: try data.masterKey(create: false), store: engine)
            let username = username
            guard let staffID = try await engine.read({ tx in
                try tx.query("SELECT id FROM staff WHERE username = $1 AND disabled = 0", [.text(username)]).first?.string("id")
            }) else {
                throw UsageError("no active member of staff is called \(username)")
            }
            let issued = try ClientCertificateFiles.issue(dataDirectory: data.dataDirectory, commonName: username,
                                                          organization: "MedExpress staff", log: log)
            let blocking = try await BlockingPool.start(name: "certs-issue", threadCount: 1, queueCapacity: 1)
            try await StaffDirectory(store: engine, vault: vault, blocking: blocking).recordCertificate(
                .init(sha256Thumbprint: issued.sha256Thumbprint, serialNumber: issued.serialNumber),
                staffID: staffID, actor: "operator", method: "medexpress certs issue")
            await blocking.close()
            let (certificatePath, keyPath) = try ClientCertificateFiles.write(issued, dataDirectory: data.dataDirectory,
                                                                              folder: "staff", name: username)
            printLine("client certificate for \(username): \(certificatePath) (key \(keyPath), mode 0600)")
        } catch {
            await engine.close()
            throw error
        }
        await engine.close()
    }
}

/// `medexpress discount-codes add`: offers a discount code (percentage or fixed, validity window,
/// usage cap, first order only).
struct DiscountCodeAddCommand {
    let data: DataStore
    let code: DiscountCode

    init(_ rawArguments: ArraySlice<String>) throws(UsageError) {
        var arguments = try Arguments(rawArguments, booleanFlags: ["first-order-only"])
        data = DataStore(&arguments)
        let percent = arguments.string("percent-off")
        let fixed = arguments.string("fixed-off-pence")
        let kind: DiscountCode.Kind
        switch (percent, fixed) {
        case (let percent?, nil):
            guard let basisPoints = Self.basisPoints(percent) else { throw UsageError("--percent-off takes a percentage such as 26 or 12.5, got \(percent)") }
            kind = .percentage(basisPoints: basisPoints)
        case (nil, let fixed?):
            guard let pence = Int64(fixed) else { throw UsageError("--fixed-off-pence takes whole pence, got \(fixed)") }
            kind = .fixed(Pence(pence))
        default:
            throw UsageError("give one of --percent-off or --fixed-off-pence")
        }
        var maxRedemptions: Int?
        if let text = arguments.string("max-redemptions") {
            guard let value = Int(text) else { throw UsageError("--max-redemptions takes a number, got \(text)") }
            maxRedemptions = value
        }
        let validFrom = try arguments.string("valid-from").map { text throws(UsageError) in try Self.startOfDay(text, option: "valid-from") }
        let validUntil = try arguments.string("valid-until").map { text throws(UsageError) in try Self.startOfDay(text, option: "valid-until") }
        do {
            code = try DiscountCode(code: arguments.string("code", default: ""), kind: kind, validFrom: validFrom, validUntil: validUntil,
                                    maxRedemptions: maxRedemptions, firstOrderOnly: arguments.flag("first-order-only"))
        } catch {
            throw UsageError("\(error)")
        }
        try arguments.rejectUnknown()
    }

    /// "26" → 2600, "12.5" → 1250.
    static func basisPoints(_ text: String) -> Int? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int(parts[0]) else { return nil }
        var hundredths = 0
        if parts.count == 2 {
            guard (1...2).contains(parts[1].count), let fraction = Int(parts[1]) else { return nil }
            hundredths = parts[1].count == 1 ? fraction * 10 : fraction
        }
        return whole * 100 + hundredths
    }

    /// Midnight UK time at the start of YYYY-MM-DD.
    static func startOfDay(_ text: String, option: String) throws(UsageError) -> Instant {
        guard let day = CalendarDay(iso8601: text) else { throw UsageError("--\(option) takes YYYY-MM-DD, got \(text)") }
        return UKTime.instant(of: day, hour: 0, minute: 0)
    }

    func run() async throws {
        let log = Logger(component: "discount-codes", minimumLevel: .warning)
        let engine = try await data.openDatabase(log: log)
        do {
            try await DiscountCodes(store: engine).add(code, actor: "operator", method: "medexpress discount-codes add")
            printLine("discount code \(code.code) added: \(code.kind)\(code.firstOrderOnly ? ", first order only" : "")")
        } catch {
            await engine.close()
            throw error
        }
        await engine.close()
    }
}
