import Domain
import Store
import Trust

/// What `serve --demo` puts in place so the story can be walked at once on a laptop: the
/// LATESTBF26 code (26% off a first order's medication) and stock of every product. Idempotent:
/// a code that exists is left alone and stock is only topped up.
public enum DemoStock {
    /// Packs of each product the demo keeps on hand at least.
    public static let packsPerProduct = 25
    public static let demoCode = "LATESTBF26"

    /// Offers the demo code and tops stock up; returns what it did, line by line.
    public static func seed(store: any StoreEngine, catalog: Catalog, now: Int64 = WallClock.nowMicroseconds()) async throws -> [String] {
        var done: [String] = []
        let existing = try await store.read { tx in try tx.query("SELECT code FROM discount_codes WHERE code = $1", [.text(demoCode)]).first }
        if existing == nil {
            try await DiscountCodes(store: store).add(try DiscountCode(code: demoCode, kind: .percentage(basisPoints: 2600), firstOrderOnly: true),
                                                      actor: "demo", method: "medexpress serve --demo", now: now)
            done.append("discount code \(demoCode): 26% off the medication of a customer's first order")
        }
        let dialect = store.dialect
        var stocked = 0
        for treatment in catalog.treatments {
            for medication in treatment.medications {
                for product in medication.products {
                    let added = try await store.write { tx -> Bool in
                        let onHand = try tx.query("SELECT on_hand FROM inventory WHERE product_id = $1", [.text(product.id.rawValue)])
                            .first?.int64("on_hand") ?? 0
                        guard onHand < Int64(packsPerProduct) else { return false }
                        try Inventory.receive(product.id, quantity: packsPerProduct - Int(onHand), reference: "demo stock", actor: "demo",
                                              now: now, in: tx)
                        try AuditLog.append(AuditEntry(atMicroseconds: now, actor: "demo", method: "medexpress serve --demo",
                                                       resource: "product:\(product.id)", action: "stock.received", detail: "demo stock"),
                                            in: tx, dialect: dialect)
                        return true
                    }
                    if added { stocked += 1 }
                }
            }
        }
        if stocked > 0 { done.append("stock: \(stocked) products topped up to \(packsPerProduct) packs") }
        return done
    }
}
