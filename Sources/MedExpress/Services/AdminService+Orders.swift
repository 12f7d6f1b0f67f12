import Domain
import Generated
import RPCCore
import Store
import Trust

extension AdminService {
    /// The largest page of ListOrders.
    static let maxOrderPageSize = 200
    static let defaultOrderPageSize = 50
    /// Flagged and overdue orders listed in the dashboard's snapshot, at most.
    static let maxSnapshotOrders = 100
    /// Waiting for a prescriber longer than this is overdue.
    static let reviewOverdueMicroseconds: Int64 = 24 * 3_600_000_000
    /// The audit actions that change an order, as the dashboard follows them.
    static let orderActions = ["order.", "prescription.", "dispensing.", "payment.", "feedback."]

    static let summaryFields = ["id", "customer_id", "treatment_id", "product_id", "status", "payment_status", "total_pence",
                                "flag_count", "created_at_us", "updated_at_us"]
    static let summaryColumns = summaryFields.joined(separator: ", ")

    public func watchOrders(_ request: Medexpress_V1_WatchOrdersRequest, responses: ResponseWriter<Medexpress_V1_DashboardUpdate>,
                            context: ServerContext) async throws {
        _ = try context.requireCaller()
        let feed = journey.feed
        var cursor = try await feed.latest()
        let now = clock()
        let today = UKTime.localDay(at: Instant(microsecondsSinceEpoch: now)).description
        let snapshot = try await store.read { tx in
            var snapshot = Medexpress_V1_DashboardSnapshot()
            snapshot.at = Timestamps.timestamp(microseconds: now)
            snapshot.counts = try tx.query("SELECT status, COUNT(*) AS n FROM orders GROUP BY status ORDER BY status").map { row in
                var count = Medexpress_V1_StatusCount()
                count.status = Medexpress_V1_OrderStatus(rawValue: Int32(try row.int64("status")))
                count.count = try row.int64("n")
                return count
            }
            let pending = OrderMessages.stored(.pendingClinicalApproval)
            snapshot.flagged = try tx.query("""
                SELECT \(Self.summaryColumns) FROM orders WHERE status = $1 AND flag_count > 0 ORDER BY created_at_us LIMIT $2
                """, [.integer(pending), .integer(Int64(Self.maxSnapshotOrders))]).map(Self.summary)
            let withCourier = [OrderStatus.dispatched, .inTransit, .outForDelivery, .deliveryFailed].map(OrderMessages.stored)
            snapshot.overdue = try tx.query("""
                SELECT \(Self.summaryFields.map { "o." + $0 }.joined(separator: ", "))
                FROM orders o LEFT JOIN shipments s ON s.order_id = o.id
                WHERE (o.status = $1 AND o.created_at_us < $2)
                   OR (o.status IN ($3, $4, $5, $6) AND s.estimated_delivery < $7)
                ORDER BY o.created_at_us LIMIT $8
                """, [.integer(pending), .integer(now - Self.reviewOverdueMicroseconds)] + withCourier.map { .integer($0) }
                    + [.text(today), .integer(Int64(Self.maxSnapshotOrders))]).map(Self.summary)
            return snapshot
        }
        try await responses.write(.with { $0.update = .snapshot(snapshot) })
        while !Task.isCancelled {
            let changes = try await feed.next(after: &cursor, actionPrefixes: Self.orderActions)
            for change in changes where change.resource.hasPrefix(OpaqueID.Prefix.order.rawValue) {
                let summary = try await store.read { tx in
                    try tx.query("SELECT \(Self.summaryColumns) FROM orders WHERE id = $1", [.text(change.resource)]).first.map(Self.summary)
                }
                guard let summary else { continue }
                var update = Medexpress_V1_OrderChange()
                update.order = summary
                update.action = change.action
                update.actor = change.actor
                update.at = Timestamps.timestamp(microseconds: change.atMicroseconds)
                try await responses.write(.with { $0.update = .change(update) })
            }
        }
    }

    public func listOrders(_ request: Medexpress_V1_AdminListOrdersRequest, context: ServerContext) async throws
        -> Medexpress_V1_AdminListOrdersResponse {
        _ = try context.requireCaller()
        let pageSize = try checkedPageSize(request.pageSize, maximum: Self.maxOrderPageSize, default: Self.defaultOrderPageSize)
        let after = try PageToken(request.pageToken, of: .order)
        var conditions = ["(created_at_us < $1 OR (created_at_us = $1 AND id < $2))"]
        var parameters: [SQLValue] = [.integer(after?.at ?? Int64.max), .text(after?.id ?? "")]
        func parameter(_ value: SQLValue) -> String {
            parameters.append(value)
            return "$\(parameters.count)"
        }
        if !request.statuses.isEmpty {
            guard request.statuses.count <= Medexpress_V1_OrderStatus.allCases.count,
                  request.statuses.allSatisfy({ (try? OrderMessages.status(stored: Int64($0.rawValue))) != nil }) else {
                throw Status(.invalidArgument, "statuses: order statuses only")
            }
            conditions.append("status IN (" + request.statuses.map { parameter(.integer(Int64($0.rawValue))) }.joined(separator: ", ") + ")")
        }
        if !request.treatmentId.isEmpty {
            _ = try journey.catalog.requireTreatment(request.treatmentId)
            conditions.append("treatment_id = " + parameter(.text(request.treatmentId)))
        }
        if let from = request.placedFrom { conditions.append("created_at_us >= " + parameter(.integer(Self.microseconds(from)))) }
        if let before = request.placedBefore { conditions.append("created_at_us < " + parameter(.integer(Self.microseconds(before)))) }
        if request.flaggedOnly { conditions.append("flag_count > 0") }
        let limit = parameter(.integer(Int64(pageSize + 1)))
        let sql = "SELECT \(Self.summaryColumns) FROM orders WHERE \(conditions.joined(separator: " AND ")) ORDER BY created_at_us DESC, id DESC LIMIT \(limit)"
        let bound = parameters
        let rows = try await store.read { tx in try tx.query(sql, bound) }
        var response = Medexpress_V1_AdminListOrdersResponse()
        response.orders = try rows.prefix(pageSize).map(Self.summary)
        if rows.count > pageSize, let last = rows.prefix(pageSize).last {
            response.nextPageToken = PageToken(at: try last.int64("created_at_us"), id: try last.string("id")).text
        }
        return response
    }

    public func getOrderDetail(_ request: Medexpress_V1_GetOrderDetailRequest, context: ServerContext) async throws -> Medexpress_V1_OrderDetail {
        let caller = try context.requireCaller()
        let now = clock()
        let cipher = journey.vault.cipher
        let catalog = journey.catalog
        let dialect = store.dialect
        // Read and audit entry in one transaction: nobody sees the order's data without the log saying so.
        return try await store.write { tx in
            let order = try OrderRecord.require(request.orderId, ownedBy: nil, in: tx, cipher: cipher)
            var detail = Medexpress_V1_OrderDetail()
            detail.order = try order.message(in: tx, catalog: catalog, cipher: cipher)
            if let row = try tx.query("SELECT \(Self.summaryColumns) FROM orders WHERE id = $1", [.text(order.id)]).first {
                detail.summary = try Self.summary(row)
            }
            if let customer = try tx.query("SELECT given_name, family_name, email, phone FROM customers WHERE id = $1",
                                           [.text(order.customerID)]).first {
                func open(_ column: String) throws -> String {
                    try cipher.openString(try customer.bytes(column), context: FieldContext(table: "customers", column: column, row: order.customerID))
                }
                detail.customerName = try open("given_name") + " " + open("family_name")
                detail.customerEmail = try open("email")
                detail.customerPhone = try open("phone")
            }
            detail.prescriptionId = try tx.query("SELECT id FROM prescriptions WHERE order_id = $1", [.text(order.id)]).first?.string("id") ?? ""
            detail.auditTrail = try tx.query("""
                SELECT seq, at_us, actor, role, certificate_thumbprint, method, resource, action, outcome, detail, hash
                FROM audit_log WHERE resource = $1 ORDER BY seq
                """, [.text(order.id)]).map(Self.auditEntry)
            try AuditLog.append(AuditEntry(caller, at: now, method: context.method.path, resource: order.id, action: "health_data.read",
                                           detail: "order detail of \(order.customerID)"),
                                in: tx, dialect: dialect)
            return detail
        }
    }

    static func summary(_ row: SQLRow) throws -> Medexpress_V1_OrderSummary {
        var summary = Medexpress_V1_OrderSummary()
        summary.orderId = try row.string("id")
        summary.customerId = try row.string("customer_id")
        summary.treatmentId = try row.string("treatment_id")
        summary.productId = try row.string("product_id")
        summary.status = Medexpress_V1_OrderStatus(rawValue: Int32(try row.int64("status")))
        summary.paymentStatus = Medexpress_V1_PaymentStatus(rawValue: Int32(try row.int64("payment_status")))
        summary.total = CatalogMessages.money(Pence(try row.int64("total_pence")))
        summary.flagCount = Int32(try row.int64("flag_count"))
        summary.placedAt = Timestamps.timestamp(microseconds: try row.int64("created_at_us"))
        summary.updatedAt = Timestamps.timestamp(microseconds: try row.int64("updated_at_us"))
        return summary
    }

    static func microseconds(_ timestamp: Google_Protobuf_Timestamp) -> Int64 {
        timestamp.seconds * 1_000_000 + Int64(timestamp.nanos / 1000)
    }
}
