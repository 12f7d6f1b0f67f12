import Generated
import Glibc
import MedExpress
import RPCCore
import Store

/// The demo's people for `serve --demo` on a database with no staff yet: an administrator, a
/// prescriber (GMC-registered, with a practice address) and a pharmacist, each with a client
/// certificate in DIR/staff/, and the pharmacy-system and courier service accounts in
/// DIR/service-accounts/. Their password and TOTP URIs go to DIR/DEMO.txt (mode 0600) in the form
/// `scripts/demo-data.sh` writes, which `medexpress demo` reads. For a laptop only: the password
/// is in this file.
enum DemoStaff {
    static let password = "demo staff password"

    static let members: [NewStaffMember] = [
        NewStaffMember(username: "demo-admin", role: .admin, givenName: "Dee", familyName: "Admin", email: "admin@medexpress.example",
                       password: password),
        NewStaffMember(username: "demo-prescriber", role: .prescriber, givenName: "Priya", familyName: "Prescriber",
                       email: "prescriber@medexpress.example",
                       registration: .with {
                           $0.body = .gmc
                           $0.registrationNumber = "1234567"
                           $0.profession = "General practitioner"
                       },
                       address: .with {
                           $0.lines = ["1 Demo Surgery", "Example Street"]
                           $0.town = "Leeds"
                           $0.postcode = "LS1 1AA"
                       }, password: password),
        NewStaffMember(username: "demo-pharmacist", role: .pharmacist, givenName: "Phil", familyName: "Pharmacist",
                       email: "pharmacist@medexpress.example", password: password),
    ]
    static let serviceAccounts: [(name: String, role: Medexpress_V1_Role)] = [("demo-pharmacy-system", .pharmacySystem),
                                                                              ("demo-courier", .courier)]

    /// Adds the demo's staff and service accounts unless the database has staff already; returns
    /// the lines to print (how to sign in as each).
    static func ensure(dataDirectory: String, store: any StoreEngine, vault: Vault, blocking: BlockingPool, log: Logger) async throws -> [String] {
        let summaryPath = dataDirectory + "/DEMO.txt"
        let staffCount = try await store.read { tx in try tx.query("SELECT COUNT(*) AS n FROM staff").first?.int64("n") ?? 0 }
        guard staffCount == 0 else {
            return access(summaryPath, R_OK) == 0 ? ["demo: staff exist; how to sign in as each is in \(summaryPath)"] : []
        }
        var lines = ["MedExpress demo data (for a laptop only). Staff password: \(password)",
                     "Staff sign in with their certificate (DIR/staff/NAME.pem/.key), the password and a TOTP code."]
        let directory = StaffDirectory(store: store, vault: vault, blocking: blocking)
        for member in members {
            let issued = try ClientCertificateFiles.issue(dataDirectory: dataDirectory, commonName: member.username,
                                                          organization: "MedExpress staff", log: log)
            let added = try await directory.add(member, certificate: .init(sha256Thumbprint: issued.sha256Thumbprint,
                                                                           serialNumber: issued.serialNumber),
                                                actor: "demo", method: "medexpress serve --demo")
            let (certificatePath, keyPath) = try ClientCertificateFiles.write(issued, dataDirectory: dataDirectory, folder: "staff",
                                                                              name: member.username)
            lines += ["staff member \(added.staffID) (\(member.username)) added",
                      "client certificate: \(certificatePath) (key \(keyPath), mode 0600)",
                      "TOTP: \(added.provisioningURI)"]
        }
        for account in serviceAccounts {
            let issued = try ClientCertificateFiles.issue(dataDirectory: dataDirectory, commonName: account.name,
                                                          organization: "MedExpress service account", log: log)
            try await ServiceAccounts(store: store).add(name: account.name, role: account.role, certificateThumbprint: issued.sha256Thumbprint,
                                                        actor: "demo", method: "medexpress serve --demo")
            let (certificatePath, keyPath) = try ClientCertificateFiles.write(issued, dataDirectory: dataDirectory,
                                                                              folder: "service-accounts", name: account.name)
            lines += ["service account \(account.name) added", "client certificate: \(certificatePath) (key \(keyPath), mode 0600)"]
        }
        try CertificateAuthority.writePEM(lines.joined(separator: "\n") + "\n", to: summaryPath, mode: 0o600)
        return lines.map { "demo: " + $0 } + ["demo: this is also in \(summaryPath) (mode 0600)"]
    }
}
