import Domain
import Generated
import RPCCore
import Store
import Trust

extension PharmacyService {
    /// Royal Mail's public tracking page for a tracking number.
    static func trackingURL(_ trackingNumber: String) -> String {
        "https://www.royalmail.com/track-your-item#/tracking-results/" + trackingNumber
    }

    /// Books the parcel with the courier, then records the shipment and moves the order to
    /// DISPATCHED in one transaction. The booking's reference is derived from the order, so a
    /// retry (or a second pharmacist) books the same parcel, never a second one.
    public func createShipment(_ request: Medexpress_V1_CreateShipmentRequest, context: ServerContext) async throws -> Medexpress_V1_Shipment {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        let weight = request.weightGrams == 0 ? Self.defaultParcelGrams : Int(request.weightGrams)
        guard Self.parcelGramsRange.contains(weight) else {
            throw Status(.invalidArgument, "weight_grams: \(Self.parcelGramsRange.lowerBound) to \(Self.parcelGramsRange.upperBound) (0 for \(Self.defaultParcelGrams))")
        }
        let cipher = journey.vault.cipher
        let catalog = journey.catalog
        let dialect = journey.store.dialect
        let method = Method.createShipment.descriptor.path
        let plan = try await journey.store.read { tx in
            let order = try OrderRecord.require(request.orderId, ownedBy: nil, in: tx, cipher: cipher)
            if let existing = try ShipmentRecord.load(orderID: order.id, in: tx, cipher: cipher) { return ShipmentPlan.booked(existing) }
            guard order.status == .dispensing else {
                throw Status(.failedPrecondition, "order is \(order.status.wireName): a parcel is booked when dispensing is complete")
            }
            guard try tx.query("SELECT completed_at_us FROM dispensing WHERE order_id = $1", [.text(order.id)]).first?
                .optionalInt64("completed_at_us") != nil else {
                throw Status(.failedPrecondition, "dispensing of \(order.id) is not complete: verify every item and complete it first")
            }
            guard let delivery = catalog.deliveryOption(order.deliveryOptionID), let found = catalog.product(order.productID) else {
                throw Status(.failedPrecondition, "order \(order.id) names a delivery option or product no longer in the catalog")
            }
            guard let patient = try PatientRecord.load(order.customerID, in: tx, cipher: cipher) else {
                throw Status(.failedPrecondition, "the customer of \(order.id) no longer exists")
            }
            let approvedAt = try tx.query("SELECT at_us FROM order_status_changes WHERE order_id = $1 AND status = $2 ORDER BY seq LIMIT 1",
                                          [.text(order.id), .integer(OrderMessages.stored(.approved))]).first?.int64("at_us") ?? order.createdAt
            return ShipmentPlan.new(order: order, delivery: delivery, refrigerated: found.product.refrigerated, recipient: patient.fullName,
                                    approvedAt: approvedAt)
        }
        guard case .new(let order, let delivery, let refrigerated, let recipient, let approvedAt) = plan else {
            guard case .booked(let shipment) = plan else { preconditionFailure() }
            return shipment
        }
        let reference = OpaqueID.make(prefix: .shipment, bits: Array(journey.vault.blindIndex.index("shipment:" + order.id).prefix(16)))
        let address = order.deliveryAddress
        // Discreet: the courier learns a name, an address and a service, never what is inside.
        let booked: CreatedShipment
        do {
            booked = try await journey.courier.createShipment(ShipmentRequest(
                reference: reference,
                recipient: ShipmentRecipient(name: recipient, addressLines: address.lines, town: address.town, postcode: address.postcode,
                                             countryCode: address.country.isEmpty ? "GB" : address.country),
                serviceCode: delivery.courierServiceCode, weightGrams: weight, refrigerated: refrigerated,
                signatureRequired: delivery.signatureRequired))
        } catch {
            switch error {
            case .rejected(let message): throw Status(.failedPrecondition, "the courier refused the parcel: \(message)")
            case .unavailable(let message): throw Status(.unavailable, "the courier is unavailable, safe to retry: \(message)")
            }
        }
        let dispatchDay = DispatchPlanner.dispatchDay(approvedAt: Instant(microsecondsSinceEpoch: approvedAt))
        let estimated = DispatchPlanner.estimatedDelivery(dispatchedOn: dispatchDay, option: delivery)
        let now = journey.clock()
        _ = try await Idempotency.once(
            scope: method + "/" + caller.subjectID, requestID: request.requestId,
            fingerprint: journey.vault.blindIndex.index(method + ":" + Hex.encode(request.encoded())), store: journey.store, now: now) { tx in
            let current = try OrderRecord.require(order.id, ownedBy: nil, in: tx, cipher: cipher)
            if try ShipmentRecord.load(orderID: order.id, in: tx, cipher: cipher) != nil { return Array(order.id.utf8) }
            _ = try current.transition(.dispatch, actor: caller.subjectID,
                                       reason: "handed to \(delivery.name), tracking \(booked.trackingNumber)", now: now, in: tx)
            try tx.execute("""
                INSERT INTO shipments (id, order_id, tracking_number, service_code, courier_shipment_id, label, refrigerated,
                                       signature_required, dispatch_date, estimated_delivery, created_by, created_at_us)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                """, [.text(reference), .text(order.id), .text(booked.trackingNumber), .text(delivery.courierServiceCode),
                      .text(booked.courierShipmentID),
                      .blob(cipher.seal(booked.label, context: FieldContext(table: "shipments", column: "label", row: reference))),
                      .integer(refrigerated ? 1 : 0), .integer(delivery.signatureRequired ? 1 : 0), .text(dispatchDay.description),
                      .text(estimated.description), .text(caller.subjectID), .integer(now)])
            try Notices.email(customer: order.customerID, about: order.id, journey: journey, outbox: outbox, now: now, in: tx) { name in
                .dispatched(givenName: name, orderID: order.id, deliveryService: delivery.name, trackingNumber: booked.trackingNumber,
                            estimatedDelivery: estimated)
            }
            try AuditLog.append(AuditEntry(caller, at: now, method: method, resource: order.id, action: "order.dispatched",
                                           detail: "shipment \(reference) tracking \(booked.trackingNumber) service \(delivery.courierServiceCode)"),
                                in: tx, dialect: dialect)
            return Array(order.id.utf8)
        }
        return try await journey.store.read { tx in
            guard let shipment = try ShipmentRecord.load(orderID: order.id, in: tx, cipher: cipher) else {
                throw Status(.internalError, "shipment of \(order.id) vanished")
            }
            return shipment
        }
    }
}

/// What CreateShipment found: a parcel already booked, or what a new booking needs.
enum ShipmentPlan: Sendable {
    case booked(Medexpress_V1_Shipment)
    case new(order: OrderRecord, delivery: Domain.DeliveryOption, refrigerated: Bool, recipient: String, approvedAt: Int64)
}

/// Shipments as stored, with their label opened.
enum ShipmentRecord {
    static let columns = """
        id, order_id, tracking_number, service_code, label, refrigerated, signature_required, dispatch_date, estimated_delivery
        """

    static func load(orderID: String, in tx: any ReadTransaction, cipher: FieldCipher) throws -> Medexpress_V1_Shipment? {
        guard let row = try tx.query("SELECT \(columns) FROM shipments WHERE order_id = $1", [.text(orderID)]).first else { return nil }
        return try message(row, in: tx, cipher: cipher)
    }

    static func load(trackingNumber: String, in tx: any ReadTransaction, cipher: FieldCipher) throws -> Medexpress_V1_Shipment? {
        guard let row = try tx.query("SELECT \(columns) FROM shipments WHERE tracking_number = $1", [.text(trackingNumber)]).first else {
            return nil
        }
        return try message(row, in: tx, cipher: cipher)
    }

    static func message(_ row: SQLRow, in tx: any ReadTransaction, cipher: FieldCipher) throws -> Medexpress_V1_Shipment {
        var shipment = Medexpress_V1_Shipment()
        shipment.id = try row.string("id")
        shipment.orderId = try row.string("order_id")
        shipment.trackingNumber = try row.string("tracking_number")
        shipment.trackingUrl = PharmacyService.trackingURL(shipment.trackingNumber)
        shipment.serviceCode = try row.string("service_code")
        shipment.refrigerated = try row.int64("refrigerated") == 1
        shipment.signatureRequired = try row.int64("signature_required") == 1
        shipment.labelPdf = try cipher.open(try row.bytes("label"), context: FieldContext(table: "shipments", column: "label", row: shipment.id))
        if let day = CalendarDay(iso8601: try row.string("dispatch_date")) { shipment.dispatchDate = PrescriptionRecord.date(day) }
        if let day = CalendarDay(iso8601: try row.string("estimated_delivery")) { shipment.estimatedDelivery = PrescriptionRecord.date(day) }
        if let order = try tx.query("SELECT status FROM orders WHERE id = $1", [.text(shipment.orderId)]).first {
            shipment.orderStatus = OrderMessages.message(try OrderMessages.status(stored: try order.int64("status")))
        }
        return shipment
    }
}
