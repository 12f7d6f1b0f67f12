import Domain
import RPCCore
import Store

/// The discount codes on offer, kept in the store so that redemptions are counted in the same
/// transaction as the order that redeems them (a usage cap holds across server processes).
public struct DiscountCodes: Sendable {
    let store: any StoreEngine

    public init(store: any StoreEngine) { self.store = store }

    /// Offers `code`; an existing code of that name is an error, not an overwrite.
    public func add(_ code: DiscountCode, actor: String, method: String, now: Int64 = WallClock.nowMicroseconds()) async throws {
        let dialect = store.dialect
        var percentage: SQLValue = .null
        var fixed: SQLValue = .null
        switch code.kind {
        case .percentage(let basisPoints): percentage = .integer(Int64(basisPoints))
        case .fixed(let amount): fixed = .integer(amount.value)
        }
        let values: [SQLValue] = [.text(code.code), percentage, fixed,
                                  code.validFrom.map { .integer($0.microsecondsSinceEpoch) } ?? .null,
                                  code.validUntil.map { .integer($0.microsecondsSinceEpoch) } ?? .null,
                                  code.maxRedemptions.map { .integer(Int64($0)) } ?? .null, .integer(code.firstOrderOnly ? 1 : 0)]
        do {
            try await store.write { tx in
                try tx.execute("""
                    INSERT INTO discount_codes (code, percentage_basis_points, fixed_pence, valid_from_us, valid_until_us,
                                                max_redemptions, first_order_only)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    """, values)
                try AuditLog.append(AuditEntry(atMicroseconds: now, actor: actor, method: method, resource: "discount:\(code.code)",
                                               action: "discount_code.created",
                                               detail: "\(code.kind) first_order_only=\(code.firstOrderOnly) max=\(code.maxRedemptions.map(String.init) ?? "none")"),
                                    in: tx, dialect: dialect)
            }
        } catch StoreError.uniqueViolation {
            throw Status(.alreadyExists, "discount code \(code.code) exists")
        }
    }
}
