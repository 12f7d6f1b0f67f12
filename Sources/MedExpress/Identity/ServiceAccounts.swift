import Generated
import RPCCore
import Store

/// Service accounts: the pharmacy management system and courier integrations. Their client
/// certificate is their credential; an account is mapped from the certificate's SHA-256
/// thumbprint, which pins the exact certificate (a renewed certificate is recorded anew).
public struct ServiceAccounts: Sendable {
    static let roles: [Medexpress_V1_Role] = [.pharmacySystem, .courier]

    let store: any StoreEngine
    let clock: @Sendable () -> Int64

    public init(store: any StoreEngine, clock: @escaping @Sendable () -> Int64 = WallClock.nowMicroseconds) {
        self.store = store
        self.clock = clock
    }

    /// Records account `name` acting as `role` for the certificate with `thumbprint`.
    public func add(name: String, role: Medexpress_V1_Role, certificateThumbprint thumbprint: String,
                    actor: String, method: String) async throws {
        guard (3...64).contains(name.utf8.count),
              name.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }) else {
            throw Status(.invalidArgument, "name: 3 to 64 of a-z, 0-9 and '-'")
        }
        guard Self.roles.contains(role) else {
            throw Status(.invalidArgument, "role: service accounts are PHARMACY_SYSTEM or COURIER")
        }
        let now = clock()
        let dialect = store.dialect
        do {
            try await store.write { tx in
                try tx.execute("INSERT INTO service_accounts (name, role, certificate_thumbprint, created_at_us) VALUES ($1, $2, $3, $4)",
                               [.text(name), .integer(Int64(role.rawValue)), .text(thumbprint), .integer(now)])
                try AuditLog.append(AuditEntry(atMicroseconds: now, actor: actor, method: method, resource: name,
                                               action: "service_account.created",
                                               detail: "role \(role.rawValue), thumbprint \(thumbprint)"), in: tx, dialect: dialect)
            }
        } catch StoreError.uniqueViolation(let constraint, _) where constraint == "service_accounts_pkey" {
            throw Status(.alreadyExists, "name: \(name) is taken")
        }
    }
}
