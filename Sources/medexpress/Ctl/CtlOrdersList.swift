import ClientKit

/// `ctl orders list`: orders, newest first, filtered by status, treatment and flags (AdminService.ListOrders).
struct CtlOrdersList {
    /// Orders asked for per page, and at most in one listing.
    static let pageSize: Int32 = 100
    static let maxOrders = 10_000

    let statuses: [Medexpress_V1_OrderStatus]
    let treatment: String
    let flaggedOnly: Bool
    let limit: Int
    let csv: Bool

    init(_ words: ArraySlice<String>, _ arguments: inout Arguments) throws(UsageError) {
        try CtlCommand.requireNoMoreWords(words)
        statuses = try arguments.string("status").map { (text: String) throws(UsageError) in try CtlFormat.statuses(text) } ?? []
        treatment = arguments.string("treatment", default: "")
        flaggedOnly = arguments.flag("flagged")
        limit = try arguments.integer("limit", default: 200, range: 1...Self.maxOrders)
        csv = arguments.flag("csv")
    }

    func run(_ session: CtlSession) async throws {
        let admin = Medexpress_V1_AdminServiceClient(channel: session.channel)
        var orders: [Medexpress_V1_OrderSummary] = []
        var token = ""
        repeat {
            let page = try await session.call("list orders", needs: "ADMIN") {
                try await admin.listOrders(.with {
                    $0.statuses = statuses
                    $0.treatmentId = treatment
                    $0.flaggedOnly = flaggedOnly
                    $0.pageSize = Int32(min(Int(Self.pageSize), limit - orders.count))
                    $0.pageToken = token
                })
            }
            orders += page.orders
            token = page.nextPageToken
        } while !token.isEmpty && orders.count < limit

        var table = CtlTable(["ORDER", "PLACED", "STATUS", "PAYMENT", "TREATMENT", "PRODUCT", "TOTAL", "FLAGS"])
        for order in orders {
            table.append([order.orderId, CtlFormat.time(order.placedAt), CtlFormat.status(order.status),
                          order.paymentStatus.protoName, order.treatmentId, order.productId,
                          CtlFormat.money(order.total), "\(order.flagCount)"])
        }
        if csv {
            printLine(table.csv())
        } else {
            printLine(table.text())
            printLine("\(orders.count) order(s)\(token.isEmpty ? "" : "; more beyond --limit \(limit)")")
        }
    }
}

/// `ctl orders show ORDER_ID`: one order in full, with the customer's contact details and its
/// audit trail (AdminService.GetOrderDetail, itself an audited read).
struct CtlOrderShow {
    let orderID: String

    init(_ words: ArraySlice<String>) throws(UsageError) {
        guard let orderID = words.first else { throw UsageError("orders show needs ORDER_ID") }
        try CtlCommand.requireNoMoreWords(words.dropFirst())
        self.orderID = orderID
    }

    func run(_ session: CtlSession) async throws {
        let admin = Medexpress_V1_AdminServiceClient(channel: session.channel)
        let detail = try await session.call("show order \(orderID)", needs: "ADMIN") {
            try await admin.getOrderDetail(.with { $0.orderId = orderID })
        }
        let order = detail.order ?? .init()
        let item = order.item ?? .init()
        let summary = detail.summary ?? .init()
        var facts = CtlTable(["", ""])
        facts.append(["order", order.id])
        facts.append(["status", CtlFormat.status(order.status)])
        facts.append(["payment", order.paymentStatus.protoName])
        facts.append(["placed", CtlFormat.time(order.createdAt)])
        facts.append(["customer", "\(detail.customerName) <\(detail.customerEmail)> \(detail.customerPhone) [\(summary.customerId)]"])
        facts.append(["treatment", order.treatmentId])
        facts.append(["item", "\(item.medicationName) \(item.strength), \(item.packDescription) × \(item.quantity) [\(item.productId)]"])
        facts.append(["delivery", order.deliveryOptionId])
        facts.append(["total", CtlFormat.money(order.price?.total)])
        facts.append(["flags", "\(summary.flagCount)"])
        facts.append(["prescription", detail.prescriptionId.isEmpty ? "-" : detail.prescriptionId])
        if !order.trackingNumber.isEmpty {
            facts.append(["tracking", "\(order.trackingNumber) \(order.trackingUrl)"])
        }
        printLine(facts.rowsText())

        var history = CtlTable(["AT", "STATUS", "REASON"])
        for change in order.history {
            history.append([CtlFormat.time(change.at), CtlFormat.status(change.status), change.reason])
        }
        printLine("\nstatus history\n" + history.text())

        var trail = CtlTable(["SEQ", "AT", "ACTOR", "ROLE", "ACTION", "OUTCOME"])
        for entry in detail.auditTrail {
            trail.append(["\(entry.sequence)", CtlFormat.time(entry.at), entry.actor, entry.role == .unspecified ? "-" : entry.role.protoName, entry.action, entry.outcome])
        }
        printLine("\naudit trail\n" + trail.text())
    }
}

extension CtlTable {
    /// The rows alone, aligned: a list of facts, name then value.
    func rowsText() -> String {
        text().split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).joined(separator: "\n")
    }
}
