import Domain
import Generated
import RPCCore
import Store
import Trust

extension PharmacyService {
    /// The longest delivery-note reference and stock-change reason kept.
    static let maxReferenceCharacters = 200
    static let maxReasonCharacters = 500

    public func listInventory(_ request: Medexpress_V1_ListInventoryRequest, context: ServerContext) async throws
        -> Medexpress_V1_ListInventoryResponse {
        _ = try context.requireCaller()
        let catalog = journey.catalog
        var response = Medexpress_V1_ListInventoryResponse()
        response.items = try await journey.store.read { tx in try Inventory.items(catalog: catalog, in: tx) }
        return response
    }

    public func receiveStock(_ request: Medexpress_V1_ReceiveStockRequest, context: ServerContext) async throws -> Medexpress_V1_InventoryItem {
        let caller = try context.requireCaller()
        let product = try requireProduct(request.productId)
        guard (1...Inventory.maxMovement).contains(Int(request.quantity)) else {
            throw Status(.invalidArgument, "quantity: 1 to \(Inventory.maxMovement) packs")
        }
        let reference = try checkedText(request.reference, field: "reference", maxCharacters: Self.maxReferenceCharacters)
        return try await stockStep(request.requestId, product: product, caller: caller, method: Method.receiveStock.descriptor.path,
                                   requestBytes: request.encoded()) { tx, now in
            try Inventory.receive(product, quantity: Int(request.quantity), reference: reference, actor: caller.subjectID, now: now, in: tx)
            return ("stock.received", "\(product) +\(request.quantity) ref \(reference)")
        }
    }

    public func adjustStock(_ request: Medexpress_V1_AdjustStockRequest, context: ServerContext) async throws -> Medexpress_V1_InventoryItem {
        let caller = try context.requireCaller()
        let product = try requireProduct(request.productId)
        guard abs(Int(request.change)) <= Inventory.maxMovement else {
            throw Status(.invalidArgument, "change: at most \(Inventory.maxMovement) packs either way")
        }
        guard request.lowStockThreshold <= Int32(Inventory.maxMovement) else {
            throw Status(.invalidArgument, "low_stock_threshold: at most \(Inventory.maxMovement) (negative leaves it unchanged)")
        }
        let reason = try checkedText(request.reason, field: "reason", maxCharacters: Self.maxReasonCharacters)
        let threshold = request.lowStockThreshold >= 0 ? Int(request.lowStockThreshold) : nil
        return try await stockStep(request.requestId, product: product, caller: caller, method: Method.adjustStock.descriptor.path,
                                   requestBytes: request.encoded()) { tx, now in
            try Inventory.adjust(product, change: Int(request.change), threshold: threshold, reason: reason, actor: caller.subjectID,
                                 now: now, in: tx)
            return ("stock.adjusted", "\(product) \(request.change >= 0 ? "+" : "")\(request.change) threshold=\(threshold.map(String.init) ?? "unchanged"): \(reason)")
        }
    }

    public func streamStockAlerts(_ request: Medexpress_V1_StreamStockAlertsRequest, responses: ResponseWriter<Medexpress_V1_StockAlert>,
                                  context: ServerContext) async throws {
        _ = try context.requireCaller()
        let feed = journey.feed
        let catalog = journey.catalog
        let cipher = journey.vault.cipher
        var cursor = try await feed.latest()
        let low = try await journey.store.read { tx in try Inventory.items(catalog: catalog, in: tx).filter(\.low) }
        let now = journey.clock()
        for item in low { try await responses.write(Self.alert(item, at: now, fromSnapshot: true)) }
        while !Task.isCancelled {
            let changes = try await feed.next(after: &cursor, actionPrefixes: ["stock.", "prescription.issued", "dispensing.started"])
            for change in changes {
                // Only changes that lower what is available can raise an alert.
                let item = try await journey.store.read { tx -> Medexpress_V1_InventoryItem? in
                    let product: ProductID
                    if change.action.hasPrefix("stock.") {
                        guard let id = change.resource.split(separator: ":", maxSplits: 1).last else { return nil }
                        product = ProductID(String(id))
                    } else {
                        guard let order = try OrderRecord.load(change.resource, ownedBy: nil, in: tx, cipher: cipher) else { return nil }
                        product = order.productID
                    }
                    return try Inventory.item(product, catalog: catalog, in: tx)
                }
                if let item, item.low { try await responses.write(Self.alert(item, at: change.atMicroseconds, fromSnapshot: false)) }
            }
        }
    }

    static func alert(_ item: Medexpress_V1_InventoryItem, at: Int64, fromSnapshot: Bool) -> Medexpress_V1_StockAlert {
        var alert = Medexpress_V1_StockAlert()
        alert.item = item
        alert.at = Timestamps.timestamp(microseconds: at)
        alert.fromSnapshot = fromSnapshot
        return alert
    }

    func requireProduct(_ id: String) throws(Status) -> ProductID {
        guard !id.isEmpty else { throw Status(.invalidArgument, "product_id: which product is needed") }
        guard journey.catalog.product(ProductID(id)) != nil else {
            throw Status(.notFound, "product_id: no product \"\(id.prefix(64))\" in the catalog")
        }
        return ProductID(id)
    }

    /// One idempotent stock change with its audit entry (resource "product:<id>"); returns the
    /// product's stock as it then is.
    func stockStep(_ requestID: String, product: ProductID, caller: Caller, method: String, requestBytes: [UInt8],
                   _ body: @escaping @Sendable (any WriteTransaction, Int64) throws -> (action: String, detail: String)) async throws
        -> Medexpress_V1_InventoryItem {
        try Idempotency.check(requestID)
        let now = journey.clock()
        let dialect = journey.store.dialect
        _ = try await Idempotency.once(
            scope: method + "/" + caller.subjectID, requestID: requestID,
            fingerprint: journey.vault.blindIndex.index(method + ":" + Hex.encode(requestBytes)), store: journey.store, now: now) { tx in
            let (action, detail) = try body(tx, now)
            try AuditLog.append(AuditEntry(caller, at: now, method: method, resource: "product:\(product)", action: action, detail: detail),
                                in: tx, dialect: dialect)
            return Array(product.rawValue.utf8)
        }
        let catalog = journey.catalog
        return try await journey.store.read { tx in try Inventory.item(product, catalog: catalog, in: tx) }
    }
}
