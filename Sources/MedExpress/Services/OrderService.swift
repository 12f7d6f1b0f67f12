import Domain
import Generated
import RPCCore
import Store
import Trust

/// `medexpress.v1.OrderService`: quotes, checkout, and the customer's view of their orders. A
/// customer reaches only their own orders: anyone else's is NOT_FOUND, exactly like one that
/// does not exist.
public struct OrderService: Medexpress_V1_OrderServiceProvider {
    /// The largest page of ListOrders.
    static let maxPageSize = 100
    static let defaultPageSize = 20
    /// The longest payment-method token accepted (Stripe's are ~30 characters).
    static let maxPaymentTokenBytes = 255
    /// The longest cancellation reason kept.
    static let maxReasonCharacters = 500

    let journey: Journey
    /// Where deferred payment calls (releasing a hold) are queued in the order's transaction.
    let outbox: Outbox

    public init(journey: Journey, outbox: Outbox) {
        self.journey = journey
        self.outbox = outbox
    }

    typealias Method = Medexpress_V1_OrderService.Method

    public func getQuote(_ request: Medexpress_V1_GetQuoteRequest, context: ServerContext) async throws -> Medexpress_V1_Quote {
        let caller = try context.requireCaller()
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let catalog = journey.catalog
        let pricing = try await journey.store.read { tx in
            try CheckoutPlan(consultationID: request.consultationId, productID: request.productId,
                             deliveryOptionID: request.deliveryOptionId, discountCode: request.discountCode,
                             customerID: caller.subjectID, now: now, catalog: catalog, cipher: cipher, in: tx)
        }
        return pricing.quoteMessage
    }

    public func getOrder(_ request: Medexpress_V1_GetOrderRequest, context: ServerContext) async throws -> Medexpress_V1_Order {
        let caller = try context.requireCaller()
        return try await order(request.orderId, ownedBy: caller.subjectID)
    }

    public func listOrders(_ request: Medexpress_V1_ListOrdersRequest, context: ServerContext) async throws
        -> Medexpress_V1_ListOrdersResponse {
        let caller = try context.requireCaller()
        let pageSize = try checkedPageSize(request.pageSize, maximum: Self.maxPageSize, default: Self.defaultPageSize)
        let after = try PageToken(request.pageToken, of: .order)
        let cipher = journey.vault.cipher
        let catalog = journey.catalog
        let customerID = caller.subjectID
        return try await journey.store.read { tx in
            // Newest first; ties on the microsecond broken by id, so pages never skip or repeat.
            let rows = try tx.query("""
                SELECT \(OrderRecord.columns) FROM orders
                WHERE customer_id = $1 AND (created_at_us < $2 OR (created_at_us = $2 AND id < $3))
                ORDER BY created_at_us DESC, id DESC LIMIT $4
                """, [.text(customerID), .integer(after?.at ?? Int64.max), .text(after?.id ?? ""),
                      .integer(Int64(pageSize + 1))])
            var response = Medexpress_V1_ListOrdersResponse()
            for row in rows.prefix(pageSize) {
                response.orders.append(try OrderRecord(row, cipher: cipher).message(in: tx, catalog: catalog, cipher: cipher))
            }
            if rows.count > pageSize, let last = rows.prefix(pageSize).last {
                response.nextPageToken = PageToken(at: try last.int64("created_at_us"), id: try last.string("id")).text
            }
            return response
        }
    }

    public func cancelOrder(_ request: Medexpress_V1_CancelOrderRequest, context: ServerContext) async throws -> Medexpress_V1_Order {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        let reason = try checkedText(request.reason, field: "reason", maxCharacters: Self.maxReasonCharacters, required: false)
        let customerID = caller.subjectID
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let outbox = outbox
        let journey = journey
        let dialect = journey.store.dialect
        let recorded = try await Idempotency.once(
            scope: "CancelOrder/" + customerID, requestID: request.requestId,
            fingerprint: journey.vault.blindIndex.index("CancelOrder:" + Hex.encode(request.encoded())),
            store: journey.store, now: now) { tx in
            let order = try OrderRecord.require(request.orderId, ownedBy: customerID, in: tx, cipher: cipher)
            // The hold is released after the commit, through the outbox: were the release sent
            // first, a rolled-back cancellation would leave an order without its payment.
            _ = try order.transition(.cancelByCustomer, actor: customerID,
                                     reason: reason.isEmpty ? "cancelled by the customer" : "cancelled by the customer: \(reason)",
                                     now: now, in: tx)
            try outbox.enqueue(.releasePayment(orderID: order.id, paymentID: order.paymentID), now: now, in: tx)
            try Notices.email(customer: customerID, about: order.id, journey: journey, outbox: outbox, now: now, in: tx) { name in
                .cancelled(givenName: name, orderID: order.id, reason: .byCustomer, releasedInPence: Notices.total(order))
            }
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.cancelOrder.descriptor.path, resource: order.id,
                                           action: "order.cancelled", detail: "by customer"),
                                in: tx, dialect: dialect)
            return Array(order.id.utf8)
        }
        return try await order(String(decoding: recorded, as: UTF8.self), ownedBy: customerID)
    }

    public func provideInformation(_ request: Medexpress_V1_ProvideInformationRequest, context: ServerContext) async throws
        -> Medexpress_V1_Order {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        let text = try checkedText(request.message, field: "message", maxCharacters: PrescriberService.maxTextCharacters)
        let customerID = caller.subjectID
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        let outbox = outbox
        let journey = journey
        let recorded = try await Idempotency.once(
            scope: "ProvideInformation/" + customerID, requestID: request.requestId,
            fingerprint: journey.vault.blindIndex.index("ProvideInformation:" + Hex.encode(request.encoded())),
            store: journey.store, now: now) { tx in
            let order = try OrderRecord.require(request.orderId, ownedBy: customerID, in: tx, cipher: cipher)
            _ = try order.transition(.informationSupplied, actor: customerID, reason: "the customer answered; back with the prescriber",
                                     now: now, in: tx)
            try OrderRecord.require(order.id, ownedBy: customerID, in: tx, cipher: cipher)
                .appendMessage(text, author: caller, now: now, in: tx, cipher: cipher)
            try Notices.email(customer: customerID, about: order.id, journey: journey, outbox: outbox, now: now, in: tx) { name in
                .underReview(givenName: name, orderID: order.id)
            }
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.provideInformation.descriptor.path, resource: order.id,
                                           action: "order.information_supplied"),
                                in: tx, dialect: dialect)
            return Array(order.id.utf8)
        }
        return try await order(String(decoding: recorded, as: UTF8.self), ownedBy: customerID)
    }

    public func watchOrder(_ request: Medexpress_V1_WatchOrderRequest, responses: ResponseWriter<Medexpress_V1_OrderUpdate>,
                           context: ServerContext) async throws {
        let caller = try context.requireCaller()
        let feed = journey.feed
        var cursor = try await feed.latest()
        var current = try await order(request.orderId, ownedBy: caller.subjectID)
        try await responses.write(.with {
            $0.order = current
            $0.fromSnapshot = true
            if let last = current.history.last { $0.change = last }
        })
        let final: Set<Medexpress_V1_OrderStatus> = [.delivered, .rejected, .returned, .cancelled]
        while !final.contains(current.status) && !Task.isCancelled {
            let changes = try await feed.next(after: &cursor, actionPrefixes: ["order.", "prescription.", "dispensing.", "payment."])
            if changes.contains(where: { $0.resource == current.id }) {
                let updated = try await order(current.id, ownedBy: caller.subjectID)
                // One update per status change, oldest first, however many happened since the last look.
                let newChanges = updated.history.dropFirst(current.history.count)
                for change in newChanges {
                    try await responses.write(.with {
                        $0.order = updated
                        $0.change = change
                    })
                }
                if newChanges.isEmpty && updated != current { try await responses.write(.with { $0.order = updated }) }
                current = updated
            }
        }
    }

    public func submitFeedback(_ request: Medexpress_V1_SubmitFeedbackRequest, context: ServerContext) async throws -> Medexpress_V1_Feedback {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        guard (1...5).contains(request.rating) else { throw Status(.invalidArgument, "rating: 1 (poor) to 5 (excellent)") }
        let comment = try checkedText(request.comment, field: "comment", maxCharacters: PrescriberService.maxTextCharacters, required: false)
        let customerID = caller.subjectID
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        let recorded: [UInt8]
        do {
            recorded = try await Idempotency.once(
                scope: "SubmitFeedback/" + customerID, requestID: request.requestId,
                fingerprint: journey.vault.blindIndex.index("SubmitFeedback:" + Hex.encode(request.encoded())),
                store: journey.store, now: now) { tx in
                let order = try OrderRecord.require(request.orderId, ownedBy: customerID, in: tx, cipher: cipher)
                guard order.status == .delivered else {
                    throw Status(.failedPrecondition, "order is \(order.status.wireName): feedback is given once it is DELIVERED")
                }
                try tx.execute("""
                    INSERT INTO feedback (order_id, customer_id, rating, comment, submitted_at_us) VALUES ($1, $2, $3, $4, $5)
                    """, [.text(order.id), .text(customerID), .integer(Int64(request.rating)),
                          .blob(cipher.seal(comment, context: FieldContext(table: "feedback", column: "comment", row: order.id))), .integer(now)])
                try AuditLog.append(AuditEntry(caller, at: now, method: Method.submitFeedback.descriptor.path, resource: order.id,
                                               action: "feedback.submitted", detail: "rating=\(request.rating)"),
                                    in: tx, dialect: dialect)
                return Array(order.id.utf8)
            }
        } catch StoreError.uniqueViolation(let constraint, _) where constraint == "feedback_pkey" {
            throw Status(.alreadyExists, "feedback on order \(request.orderId) was already given")
        }
        let orderID = String(decoding: recorded, as: UTF8.self)
        return try await journey.store.read { tx in
            guard let row = try tx.query("SELECT rating, comment, submitted_at_us FROM feedback WHERE order_id = $1", [.text(orderID)]).first else {
                throw Status(.internalError, "feedback on \(orderID) vanished")
            }
            var feedback = Medexpress_V1_Feedback()
            feedback.orderId = orderID
            feedback.rating = Int32(try row.int64("rating"))
            feedback.comment = try cipher.openString(try row.bytes("comment"), context: FieldContext(table: "feedback", column: "comment", row: orderID))
            feedback.submittedAt = Timestamps.timestamp(microseconds: try row.int64("submitted_at_us"))
            return feedback
        }
    }

    /// The order as its owner sees it.
    func order(_ id: String, ownedBy customerID: String) async throws -> Medexpress_V1_Order {
        let cipher = journey.vault.cipher
        let catalog = journey.catalog
        return try await journey.store.read { tx in
            try OrderRecord.require(id, ownedBy: customerID, in: tx, cipher: cipher).message(in: tx, catalog: catalog, cipher: cipher)
        }
    }
}
