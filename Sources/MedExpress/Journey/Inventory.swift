import Domain
import Generated
import RPCCore
import Store
import Trust

/// Stock in packs per product, changed only by conditional updates so that it never goes
/// negative and a reservation never exceeds what is on hand, however many servers race
/// (the CHECK constraints hold it in the database as well). Every change is a stock movement.
enum Inventory {
    /// The most packs one delivery or adjustment may move.
    static let maxMovement = 100_000

    /// Holds `quantity` packs of `product` for `orderID` (on approval); FAILED_PRECONDITION when
    /// fewer are available.
    static func reserve(_ product: ProductID, quantity: Int, orderID: String, actor: String, now: Int64,
                        in tx: any WriteTransaction) throws {
        let changed = try tx.execute("""
            UPDATE inventory SET reserved = reserved + $1, updated_at_us = $2 WHERE product_id = $3 AND on_hand - reserved >= $1
            """, [.integer(Int64(quantity)), .integer(now), .text(product.rawValue)])
        guard changed == 1 else {
            let available = try tx.query("SELECT on_hand - reserved AS available FROM inventory WHERE product_id = $1",
                                         [.text(product.rawValue)]).first?.int64("available") ?? 0
            throw Status(.failedPrecondition, "\(product) is out of stock: \(available) available, \(quantity) needed; the pharmacy must receive stock first")
        }
        try move(product, onHand: 0, reserved: quantity, reason: "reserved on approval", orderID: orderID, actor: actor, now: now, in: tx)
    }

    /// Takes the reserved packs out of stock (dispensing has started).
    static func commit(_ product: ProductID, quantity: Int, orderID: String, actor: String, now: Int64,
                       in tx: any WriteTransaction) throws {
        guard try tx.execute("""
            UPDATE inventory SET on_hand = on_hand - $1, reserved = reserved - $1, updated_at_us = $2
            WHERE product_id = $3 AND reserved >= $1
            """, [.integer(Int64(quantity)), .integer(now), .text(product.rawValue)]) == 1 else {
            throw Status(.failedPrecondition, "\(product): no reservation of \(quantity) to dispense for \(orderID)")
        }
        try move(product, onHand: -quantity, reserved: -quantity, reason: "dispensed", orderID: orderID, actor: actor, now: now, in: tx)
    }

    /// Adds packs received from a wholesaler (creating the product's row on first delivery).
    static func receive(_ product: ProductID, quantity: Int, reference: String, actor: String, now: Int64,
                        in tx: any WriteTransaction) throws {
        if try tx.execute("UPDATE inventory SET on_hand = on_hand + $1, updated_at_us = $2 WHERE product_id = $3",
                          [.integer(Int64(quantity)), .integer(now), .text(product.rawValue)]) == 0 {
            try tx.execute("INSERT INTO inventory (product_id, on_hand, reserved, updated_at_us) VALUES ($1, $2, 0, $3)",
                           [.text(product.rawValue), .integer(Int64(quantity)), .integer(now)])
        }
        try move(product, onHand: quantity, reserved: 0, reason: "received: \(reference)", orderID: nil, actor: actor, now: now, in: tx)
    }

    /// Corrects on-hand stock by `change`; FAILED_PRECONDITION if it would fall below what is
    /// reserved or zero.
    static func adjust(_ product: ProductID, change: Int, threshold: Int?, reason: String, actor: String, now: Int64,
                       in tx: any WriteTransaction) throws {
        let exists = try tx.query("SELECT on_hand, reserved FROM inventory WHERE product_id = $1", [.text(product.rawValue)]).first
        if exists == nil {
            guard change >= 0 else { throw Status(.failedPrecondition, "\(product) has no stock to remove") }
            try tx.execute("INSERT INTO inventory (product_id, on_hand, reserved, updated_at_us) VALUES ($1, 0, 0, $2)",
                           [.text(product.rawValue), .integer(now)])
        }
        if change != 0 {
            guard try tx.execute("""
                UPDATE inventory SET on_hand = on_hand + $1, updated_at_us = $2 WHERE product_id = $3 AND on_hand + $1 >= reserved
                """, [.integer(Int64(change)), .integer(now), .text(product.rawValue)]) == 1 else {
                let onHand = try exists?.int64("on_hand") ?? 0, reserved = try exists?.int64("reserved") ?? 0
                throw Status(.failedPrecondition, "\(product): \(onHand) on hand with \(reserved) reserved; removing \(-change) would leave less than is reserved")
            }
            try move(product, onHand: change, reserved: 0, reason: "adjusted: \(reason)", orderID: nil, actor: actor, now: now, in: tx)
        }
        if let threshold {
            try tx.execute("UPDATE inventory SET low_stock_threshold = $1, updated_at_us = $2 WHERE product_id = $3",
                           [.integer(Int64(threshold)), .integer(now), .text(product.rawValue)])
        }
    }

    static func move(_ product: ProductID, onHand: Int, reserved: Int, reason: String, orderID: String?, actor: String, now: Int64,
                     in tx: any WriteTransaction) throws {
        try tx.execute("""
            INSERT INTO stock_movements (id, product_id, on_hand_change, reserved_change, reason, order_id, actor, at_us)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """, [.text("mov_" + Hex.encode(SecureRandom.bytes(16))), .text(product.rawValue), .integer(Int64(onHand)),
                  .integer(Int64(reserved)), .text(reason), orderID.map { .text($0) } ?? .null, .text(actor), .integer(now)])
    }

    /// Every product of the catalog with its stock (none yet: zero).
    static func items(catalog: Catalog, in tx: any ReadTransaction) throws -> [Medexpress_V1_InventoryItem] {
        var stock: [String: SQLRow] = [:]
        for row in try tx.query("SELECT product_id, on_hand, reserved, low_stock_threshold FROM inventory") {
            stock[try row.string("product_id")] = row
        }
        var items: [Medexpress_V1_InventoryItem] = []
        for treatment in catalog.treatments {
            for medication in treatment.medications {
                for product in medication.products {
                    items.append(try item(product, medication: medication, row: stock[product.id.rawValue]))
                }
            }
        }
        return items
    }

    static func item(_ product: ProductID, catalog: Catalog, in tx: any ReadTransaction) throws -> Medexpress_V1_InventoryItem {
        guard let found = catalog.product(product) else { throw Status(.notFound, "product_id: no product \(product)") }
        let row = try tx.query("SELECT product_id, on_hand, reserved, low_stock_threshold FROM inventory WHERE product_id = $1",
                               [.text(product.rawValue)]).first
        return try item(found.product, medication: found.medication, row: row)
    }

    static func item(_ product: Domain.Product, medication: Domain.Medication, row: SQLRow?) throws -> Medexpress_V1_InventoryItem {
        var item = Medexpress_V1_InventoryItem()
        item.productId = product.id.rawValue
        item.medicationName = medication.name
        item.strength = product.strength
        item.packDescription = product.packDescription
        item.gtin = product.gtin
        item.onHand = Int32(try row?.int64("on_hand") ?? 0)
        item.reserved = Int32(try row?.int64("reserved") ?? 0)
        item.available = item.onHand - item.reserved
        item.lowStockThreshold = Int32(try row?.int64("low_stock_threshold") ?? 0)
        item.low = item.available <= item.lowStockThreshold
        return item
    }
}
