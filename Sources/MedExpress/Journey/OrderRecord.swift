import Domain
import Generated
import RPCCore
import Store
import Trust

/// An order as stored, with its sealed delivery address opened.
struct OrderRecord: Sendable {
    let id: String
    let customerID: String
    let consultationID: String
    let treatmentID: TreatmentID
    let productID: ProductID
    let quantity: Int
    let status: OrderStatus
    let paymentStatus: Medexpress_V1_PaymentStatus
    let paymentID: String
    let deliveryOptionID: DeliveryOptionID
    let deliveryAddress: Medexpress_V1_PostalAddress
    let quote: Medexpress_V1_Quote
    let flagCount: Int
    let statusChanges: Int64
    let messageCount: Int64
    let createdAt: Int64

    static let columns = """
        id, customer_id, consultation_id, treatment_id, product_id, quantity, status, payment_status, payment_id,
        delivery_option_id, delivery_address, quote, flag_count, status_changes, message_count, created_at_us
        """

    init(_ row: SQLRow, cipher: FieldCipher) throws {
        id = try row.string("id")
        customerID = try row.string("customer_id")
        consultationID = try row.string("consultation_id")
        treatmentID = TreatmentID(try row.string("treatment_id"))
        productID = ProductID(try row.string("product_id"))
        quantity = Int(try row.int64("quantity"))
        status = try OrderMessages.status(stored: try row.int64("status"))
        paymentStatus = Medexpress_V1_PaymentStatus(rawValue: Int32(try row.int64("payment_status")))
        paymentID = try row.string("payment_id")
        deliveryOptionID = DeliveryOptionID(try row.string("delivery_option_id"))
        let address = try cipher.open(try row.bytes("delivery_address"), context: FieldContext(table: "orders", column: "delivery_address", row: id))
        deliveryAddress = try Medexpress_V1_PostalAddress(decoding: address)
        quote = try Medexpress_V1_Quote(decoding: try row.bytes("quote"))
        flagCount = Int(try row.int64("flag_count"))
        statusChanges = try row.int64("status_changes")
        messageCount = try row.int64("message_count")
        createdAt = try row.int64("created_at_us")
    }

    /// The order `id` if it belongs to `customerID` (any order when nil); nil otherwise, so another
    /// customer's order looks exactly like one that does not exist.
    static func load(_ id: String, ownedBy customerID: String?, in tx: any ReadTransaction, cipher: FieldCipher) throws -> OrderRecord? {
        guard OpaqueID.isWellFormed(id, prefix: .order) else { return nil }
        guard let row = try tx.query("SELECT \(columns) FROM orders WHERE id = $1", [.text(id)]).first else { return nil }
        let record = try OrderRecord(row, cipher: cipher)
        if let customerID, record.customerID != customerID { return nil }
        return record
    }

    /// NOT_FOUND unless the order exists and is the caller's.
    static func require(_ id: String, ownedBy customerID: String?, in tx: any ReadTransaction, cipher: FieldCipher) throws -> OrderRecord {
        guard !id.isEmpty else { throw Status(.invalidArgument, "order_id: which order is needed") }
        guard let record = try load(id, ownedBy: customerID, in: tx, cipher: cipher) else {
            throw Status(.notFound, "order \(id.prefix(64)) not found")
        }
        return record
    }

    /// Moves the order from its current status by `event`, if nobody moved it since it was read:
    /// FAILED_PRECONDITION naming the status when the event is not allowed there, ABORTED when
    /// another change won the race. Records who, when and why.
    func transition(_ event: OrderEvent, actor: String, reason: String, now: Int64, in tx: any WriteTransaction,
                    paymentStatus newPaymentStatus: Medexpress_V1_PaymentStatus? = nil) throws -> OrderStatus {
        let next: OrderStatus
        do {
            next = try status.applying(event)
        } catch {
            throw Status(.failedPrecondition, error.description)
        }
        let sequence = statusChanges + 1
        guard try tx.execute("""
            UPDATE orders SET status = $1, status_changes = $2, payment_status = $3, updated_at_us = $4, waiting_since_us = $7
            WHERE id = $5 AND status_changes = $6
            """, [.integer(OrderMessages.stored(next)), .integer(sequence),
                  .integer(Int64((newPaymentStatus ?? paymentStatus).rawValue)), .integer(now), .text(id), .integer(statusChanges),
                  // The 7- or 14-day clock for an unanswered request runs from the request.
                  next == .informationRequested ? .integer(now) : .null]) == 1 else {
            throw Status(.aborted, "order \(id) changed at the same moment; read it again and retry")
        }
        try Self.recordStatus(next, order: id, sequence: sequence, actor: actor, reason: reason, now: now, in: tx)
        return next
    }

    static func recordStatus(_ status: OrderStatus, order: String, sequence: Int64, actor: String, reason: String, now: Int64,
                             in tx: any WriteTransaction) throws {
        try tx.execute("""
            INSERT INTO order_status_changes (order_id, seq, status, at_us, actor, reason) VALUES ($1, $2, $3, $4, $5, $6)
            """, [.text(order), .integer(sequence), .integer(OrderMessages.stored(status)), .integer(now), .text(actor), .text(reason)])
    }

    /// The order as its customer sees it, with every status it has had.
    func message(in tx: any ReadTransaction, catalog: Catalog, cipher: FieldCipher) throws -> Medexpress_V1_Order {
        var message = Medexpress_V1_Order()
        message.id = id
        message.consultationId = consultationID
        message.treatmentId = treatmentID.rawValue
        message.status = OrderMessages.message(status)
        message.paymentStatus = paymentStatus
        var item = Medexpress_V1_OrderItem()
        item.productId = productID.rawValue
        item.quantity = Int32(quantity)
        if let found = catalog.product(productID) {
            item.medicationName = found.medication.name
            item.strength = found.product.strength
            item.packDescription = found.product.packDescription
            item.refrigerated = found.product.refrigerated
        }
        message.item = item
        message.deliveryOptionId = deliveryOptionID.rawValue
        message.deliveryAddress = deliveryAddress
        message.price = quote
        message.createdAt = Timestamps.timestamp(microseconds: createdAt)
        message.history = try tx.query("SELECT status, at_us, reason FROM order_status_changes WHERE order_id = $1 ORDER BY seq",
                                       [.text(id)]).map { row in
            var change = Medexpress_V1_OrderStatusChange()
            change.status = OrderMessages.message(try OrderMessages.status(stored: try row.int64("status")))
            change.at = Timestamps.timestamp(microseconds: try row.int64("at_us"))
            change.reason = try row.string("reason")
            return change
        }
        message.messages = try messages(in: tx, cipher: cipher)
        if let shipment = try tx.query("SELECT tracking_number, estimated_delivery FROM shipments WHERE order_id = $1", [.text(id)]).first {
            message.trackingNumber = try shipment.string("tracking_number")
            message.trackingUrl = PharmacyService.trackingURL(message.trackingNumber)
            if let day = CalendarDay(iso8601: try shipment.string("estimated_delivery")) {
                message.estimatedDelivery = PrescriptionRecord.date(day)
            }
        }
        return message
    }

    /// The messages between prescriber and customer, oldest first (sealed: they are health data).
    func messages(in tx: any ReadTransaction, cipher: FieldCipher) throws -> [Medexpress_V1_OrderMessage] {
        try tx.query("SELECT id, author_id, author_role, text, at_us FROM order_messages WHERE order_id = $1 ORDER BY seq",
                     [.text(id)]).map { row in
            var message = Medexpress_V1_OrderMessage()
            message.authorId = try row.string("author_id")
            message.authorRole = Medexpress_V1_Role(rawValue: Int32(try row.int64("author_role")))
            message.text = try cipher.openString(try row.bytes("text"),
                                                 context: FieldContext(table: "order_messages", column: "text", row: try row.string("id")))
            message.at = Timestamps.timestamp(microseconds: try row.int64("at_us"))
            return message
        }
    }

    /// Adds a message to the order's conversation; ABORTED when another message was added at the
    /// same moment.
    func appendMessage(_ text: String, author: Caller, now: Int64, in tx: any WriteTransaction, cipher: FieldCipher) throws {
        let sequence = messageCount + 1
        guard try tx.execute("UPDATE orders SET message_count = $1 WHERE id = $2 AND message_count = $3",
                             [.integer(sequence), .text(id), .integer(messageCount)]) == 1 else {
            throw Status(.aborted, "order \(id) changed at the same moment; read it again and retry")
        }
        let rowID = ConsultationRecord.answerRowID(consultation: id, sequence: sequence)
        try tx.execute("""
            INSERT INTO order_messages (id, order_id, seq, author_id, author_role, text, at_us) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, [.text(rowID), .text(id), .integer(sequence), .text(author.subjectID), .integer(Int64(author.role.rawValue)),
                  .blob(cipher.seal(text, context: FieldContext(table: "order_messages", column: "text", row: rowID))), .integer(now)])
    }
}
