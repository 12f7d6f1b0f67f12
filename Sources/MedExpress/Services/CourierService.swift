import Domain
import Generated
import RPCCore
import Store
import Trust

/// `medexpress.v1.CourierService`: what a courier integration sees (parcels to collect: a name,
/// an address and a service, never the contents) and what it reports (tracking events, each
/// applied once however often it is sent).
public struct CourierService: Medexpress_V1_CourierServiceProvider {
    /// Parcels in the opening snapshot of StreamShippingInstructions, at most.
    static let maxSnapshot = 1_000
    /// How far ahead of the server's clock an event time may be (clocks drift).
    static let maxClockSkewMicroseconds: Int64 = 3_600_000_000
    static let maxTextCharacters = 200

    let journey: Journey
    /// Where the customer's emails are queued, in the transaction of the change they announce.
    let outbox: Outbox

    public init(journey: Journey, outbox: Outbox) {
        self.journey = journey
        self.outbox = outbox
    }

    typealias Method = Medexpress_V1_CourierService.Method

    public func streamShippingInstructions(_ request: Medexpress_V1_StreamShippingInstructionsRequest,
                                           responses: ResponseWriter<Medexpress_V1_ShippingInstruction>, context: ServerContext) async throws {
        _ = try context.requireCaller()
        let feed = journey.feed
        let cipher = journey.vault.cipher
        var cursor = try await feed.latest()
        let waiting = try await journey.store.read { tx in
            try tx.query("""
                SELECT s.order_id FROM shipments s JOIN orders o ON o.id = s.order_id WHERE o.status = $1 ORDER BY s.created_at_us LIMIT $2
                """, [.integer(OrderMessages.stored(.dispatched)), .integer(Int64(Self.maxSnapshot))]).map { try $0.string("order_id") }
        }
        for orderID in waiting {
            if let instruction = try await instruction(orderID, cipher: cipher, fromSnapshot: true) { try await responses.write(instruction) }
        }
        while !Task.isCancelled {
            let changes = try await feed.next(after: &cursor, actionPrefixes: ["order.dispatched"])
            for change in changes {
                if let instruction = try await instruction(change.resource, cipher: cipher, fromSnapshot: false) {
                    try await responses.write(instruction)
                }
            }
        }
    }

    func instruction(_ orderID: String, cipher: FieldCipher, fromSnapshot: Bool) async throws -> Medexpress_V1_ShippingInstruction? {
        try await journey.store.read { tx in
            guard let order = try OrderRecord.load(orderID, ownedBy: nil, in: tx, cipher: cipher),
                  let shipment = try ShipmentRecord.load(orderID: orderID, in: tx, cipher: cipher),
                  let patient = try PatientRecord.load(order.customerID, in: tx, cipher: cipher) else { return nil }
            var instruction = Medexpress_V1_ShippingInstruction()
            instruction.shipmentId = shipment.id
            instruction.trackingNumber = shipment.trackingNumber
            instruction.serviceCode = shipment.serviceCode
            instruction.recipientName = patient.fullName
            instruction.deliveryAddress = order.deliveryAddress
            instruction.refrigerated = shipment.refrigerated
            instruction.signatureRequired = shipment.signatureRequired
            instruction.dispatchDate = shipment.dispatchDate ?? .init()
            instruction.estimatedDelivery = shipment.estimatedDelivery ?? .init()
            instruction.fromSnapshot = fromSnapshot
            return instruction
        }
    }

    public func recordTrackingEvent(_ request: Medexpress_V1_RecordTrackingEventRequest, context: ServerContext) async throws
        -> Medexpress_V1_RecordTrackingEventResponse {
        let caller = try context.requireCaller()
        guard TrackingNumber.isValid(request.trackingNumber) else {
            throw Status(.invalidArgument, "tracking_number: \"\(request.trackingNumber.prefix(32))\" is not a Royal Mail tracking number (AB123456785GB)")
        }
        let code: TrackingEventCode
        do {
            code = try TrackingEventCode(code: request.eventCode)
        } catch {
            throw Status(.invalidArgument, "event_code: \(error)")
        }
        guard let occurred = request.occurredAt else { throw Status(.invalidArgument, "occurred_at: when the event happened is needed") }
        let occurredAt = occurred.seconds * 1_000_000 + Int64(occurred.nanos / 1000)
        let now = journey.clock()
        guard occurredAt <= now + Self.maxClockSkewMicroseconds, occurredAt > 0 else {
            throw Status(.invalidArgument, "occurred_at: in the future")
        }
        for (field, value) in [("location", request.location), ("signer", request.signer)] where value.count > Self.maxTextCharacters {
            throw Status(.invalidArgument, "\(field): at most \(Self.maxTextCharacters) characters")
        }
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        // One event is one (tracking number, code, time): however often it arrives, it applies once.
        let eventKey = "\(request.trackingNumber)|\(code.code)|\(occurredAt)"
        let trackingNumber = request.trackingNumber
        let details = Medexpress_V1_TrackingEvent.with {
            $0.eventCode = code.code
            $0.occurredAt = occurred
            $0.location = request.location
            $0.signer = request.signer
        }
        let result: (applied: Bool, status: OrderStatus)
        do {
            result = try await journey.store.write { tx in
                guard let shipment = try tx.query("SELECT id, order_id FROM shipments WHERE tracking_number = $1",
                                                  [.text(trackingNumber)]).first else {
                    throw Status(.notFound, "no shipment with tracking number \(trackingNumber)")
                }
                let shipmentID = try shipment.string("id")
                let order = try OrderRecord.require(try shipment.string("order_id"), ownedBy: nil, in: tx, cipher: cipher)
                if try tx.query("SELECT id FROM tracking_events WHERE event_key = $1", [.text(eventKey)]).first != nil {
                    return (false, order.status)
                }
                var status = order.status
                var outcome = "applied"
                if let next = try? order.status.applying(code.orderEvent) {
                    if next != order.status {
                        status = try order.transition(code.orderEvent, actor: caller.subjectID,
                                                      reason: Self.reason(code, location: request.location), now: now, in: tx)
                        if status == .delivered {
                            try Notices.email(customer: order.customerID, about: order.id, journey: journey, outbox: outbox, now: now,
                                              in: tx) { name in .delivered(givenName: name, orderID: order.id) }
                        }
                    }
                } else {
                    // A late scan after the parcel moved on: kept, but the order stays where it is.
                    outcome = "kept; order is \(order.status.wireName)"
                }
                var stored = details
                stored.orderStatus = OrderMessages.message(status)
                let id = "trk_" + Hex.encode(SecureRandom.bytes(16))
                try tx.execute("""
                    INSERT INTO tracking_events (id, shipment_id, event_key, code, occurred_at_us, details, order_status, recorded_by, recorded_at_us)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    """, [.text(id), .text(shipmentID), .text(eventKey), .text(code.code), .integer(occurredAt),
                          .blob(cipher.seal(stored.encoded(), context: FieldContext(table: "tracking_events", column: "details", row: id))),
                          .integer(OrderMessages.stored(status)), .text(caller.subjectID), .integer(now)])
                try AuditLog.append(AuditEntry(caller, at: now, method: Method.recordTrackingEvent.descriptor.path, resource: order.id,
                                               action: "order.tracking", detail: "\(code.code) \(outcome) status=\(status.wireName)"),
                                    in: tx, dialect: dialect)
                return (true, status)
            }
        } catch StoreError.uniqueViolation(let constraint, _) where constraint == "tracking_events_once" {
            // The same event arrived twice at once; the other one applied it.
            let status = try await journey.store.read { tx in
                try tx.query("SELECT o.status FROM orders o JOIN shipments s ON s.order_id = o.id WHERE s.tracking_number = $1",
                             [.text(trackingNumber)]).first?.int64("status")
            }
            result = (false, try OrderMessages.status(stored: status ?? 0))
        }
        var response = Medexpress_V1_RecordTrackingEventResponse()
        response.applied = result.applied
        response.orderStatus = OrderMessages.message(result.status)
        return response
    }

    public func getShipment(_ request: Medexpress_V1_GetShipmentRequest, context: ServerContext) async throws -> Medexpress_V1_CourierShipment {
        _ = try context.requireCaller()
        let cipher = journey.vault.cipher
        guard TrackingNumber.isValid(request.trackingNumber) else {
            throw Status(.invalidArgument, "tracking_number: not a Royal Mail tracking number (AB123456785GB)")
        }
        guard let orderID = try await journey.store.read({ tx in
            try tx.query("SELECT order_id FROM shipments WHERE tracking_number = $1", [.text(request.trackingNumber)]).first?.string("order_id")
        }), let instruction = try await instruction(orderID, cipher: cipher, fromSnapshot: false) else {
            throw Status(.notFound, "no shipment with tracking number \(request.trackingNumber)")
        }
        return try await journey.store.read { tx in
            var shipment = Medexpress_V1_CourierShipment()
            shipment.instruction = instruction
            if let order = try OrderRecord.load(orderID, ownedBy: nil, in: tx, cipher: cipher) {
                shipment.orderStatus = OrderMessages.message(order.status)
            }
            shipment.events = try tx.query("SELECT id, details FROM tracking_events WHERE shipment_id = $1 ORDER BY occurred_at_us, recorded_at_us",
                                           [.text(instruction.shipmentId)]).map { row in
                try Medexpress_V1_TrackingEvent(decoding: try cipher.open(
                    try row.bytes("details"), context: FieldContext(table: "tracking_events", column: "details", row: try row.string("id"))))
            }
            return shipment
        }
    }

    /// The status change's reason in the customer's words.
    static func reason(_ code: TrackingEventCode, location: String) -> String {
        let place = location.isEmpty ? "" : " (\(location))"
        switch code.orderEvent {
        case .inTransit: return "in the Royal Mail network\(place)"
        case .outForDelivery: return "out for delivery today\(place)"
        case .deliver: return code == .deliveredToSafePlace ? "delivered to your safe place" : "delivered\(place)"
        case .failDelivery: return "we could not deliver it; a card was left\(place)"
        case .arrangeRedelivery: return "redelivery arranged"
        case .returnToSender: return "on its way back to the pharmacy"
        default: return code.code
        }
    }
}
