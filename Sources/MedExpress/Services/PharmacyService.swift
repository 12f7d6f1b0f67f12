import Domain
import Generated
import RPCCore
import Store
import Trust

/// `medexpress.v1.PharmacyService`: prescriptions reaching the pharmacy (each read of one is
/// audited), dispensing with barcode checks against the signed particulars, the POM register,
/// stock, and booking the courier.
public struct PharmacyService: Medexpress_V1_PharmacyServiceProvider {
    /// Parcel weight when the request gives none.
    static let defaultParcelGrams = 250
    static let parcelGramsRange = 1...30_000
    /// Prescriptions sent in the opening snapshot of StreamPrescriptions, at most.
    static let maxSnapshot = 1_000

    let journey: Journey
    /// Where the customer's emails are queued, in the transaction of the change they announce.
    let outbox: Outbox

    public init(journey: Journey, outbox: Outbox) {
        self.journey = journey
        self.outbox = outbox
    }

    typealias Method = Medexpress_V1_PharmacyService.Method

    public func streamPrescriptions(_ request: Medexpress_V1_StreamPrescriptionsRequest,
                                    responses: ResponseWriter<Medexpress_V1_PrescriptionEvent>, context: ServerContext) async throws {
        let caller = try context.requireCaller()
        let feed = journey.feed
        var cursor = try await feed.latest()
        let waiting = [OrderMessages.stored(.approved), OrderMessages.stored(.dispensing)]
        let snapshot = try await journey.store.read { tx in
            try tx.query("""
                SELECT p.order_id FROM prescriptions p JOIN orders o ON o.id = p.order_id
                WHERE o.status IN ($1, $2) ORDER BY p.issued_at_us, p.id LIMIT $3
                """, [.integer(waiting[0]), .integer(waiting[1]), .integer(Int64(Self.maxSnapshot))]).map { try $0.string("order_id") }
        }
        for orderID in snapshot {
            try await send(orderID, fromSnapshot: true, caller: caller, responses: responses, method: Method.streamPrescriptions.descriptor.path)
        }
        while !Task.isCancelled {
            let changes = try await feed.next(after: &cursor, actionPrefixes: ["prescription.issued"])
            for change in changes {
                try await send(change.resource, fromSnapshot: false, caller: caller, responses: responses,
                               method: Method.streamPrescriptions.descriptor.path)
            }
        }
    }

    /// Sends the prescription of `orderID` and audits the read.
    private func send(_ orderID: String, fromSnapshot: Bool, caller: Caller, responses: ResponseWriter<Medexpress_V1_PrescriptionEvent>,
                      method: String) async throws {
        guard let prescription = try await readPrescription(orderID, caller: caller, method: method) else { return }
        var event = Medexpress_V1_PrescriptionEvent()
        event.prescription = prescription
        event.fromSnapshot = fromSnapshot
        try await responses.write(event)
    }

    public func getPrescription(_ request: Medexpress_V1_GetPrescriptionRequest, context: ServerContext) async throws
        -> Medexpress_V1_SignedPrescription {
        let caller = try context.requireCaller()
        guard OpaqueID.isWellFormed(request.id, prefix: .prescription) || OpaqueID.isWellFormed(request.id, prefix: .order) else {
            throw Status(.invalidArgument, "id: a prescription id (rx_…) or an order id (ord_…)")
        }
        guard let prescription = try await readPrescription(request.id, caller: caller, method: Method.getPrescription.descriptor.path) else {
            throw Status(.notFound, "no prescription \(request.id)")
        }
        return prescription
    }

    /// The signed prescription, read in the transaction that audits the read.
    func readPrescription(_ id: String, caller: Caller, method: String) async throws -> Medexpress_V1_SignedPrescription? {
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        let now = journey.clock()
        return try await journey.store.write { tx in
            guard let prescription = try PrescriptionRecord.load(id, in: tx, cipher: cipher) else { return nil }
            try AuditLog.append(AuditEntry(caller, at: now, method: method, resource: prescription.prescription?.orderId ?? id,
                                           action: "health_data.read",
                                           detail: "prescription \(prescription.prescription?.id ?? id) signature_verified=\(prescription.signatureVerified)"),
                                in: tx, dialect: dialect)
            return prescription
        }
    }

    // MARK: Dispensing

    public func startDispensing(_ request: Medexpress_V1_StartDispensingRequest, context: ServerContext) async throws
        -> Medexpress_V1_DispensingStatus {
        let caller = try context.requireCaller()
        return try await dispensingStep(request.requestId, orderID: request.orderId, caller: caller,
                                        method: Method.startDispensing.descriptor.path, requestBytes: request.encoded()) { order, tx, now in
            guard try PrescriptionRecord.load(order.id, in: tx, cipher: journey.vault.cipher)?.signatureVerified == true else {
                throw Status(.failedPrecondition, "order \(order.id) has no prescription with a valid signature: do not dispense")
            }
            _ = try order.transition(.startDispensing, actor: caller.subjectID, reason: "the pharmacy is preparing the order", now: now, in: tx)
            try Inventory.commit(order.productID, quantity: order.quantity, orderID: order.id, actor: caller.subjectID, now: now, in: tx)
            try tx.execute("""
                INSERT INTO dispensing (order_id, items_required, items_verified, started_by, started_at_us) VALUES ($1, $2, 0, $3, $4)
                """, [.text(order.id), .integer(Int64(order.quantity)), .text(caller.subjectID), .integer(now)])
            return ("dispensing.started", "product=\(order.productID) packs=\(order.quantity)")
        }
    }

    public func verifyItem(_ request: Medexpress_V1_VerifyItemRequest, context: ServerContext) async throws -> Medexpress_V1_VerifyItemResponse {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        let scanned = request.scannedGtin.trimmingWhitespace
        guard !scanned.isEmpty, scanned.utf8.count <= 14, scanned.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw Status(.invalidArgument, "scanned_gtin: the barcode's digits (GTIN-13 or GTIN-14)")
        }
        let catalog = journey.catalog
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        let now = journey.clock()
        let method = Method.verifyItem.descriptor.path
        // Recorded for a retry: whether it matched (one byte) and the order; no product names.
        let recorded = try await Idempotency.once(
            scope: method + "/" + caller.subjectID, requestID: request.requestId,
            fingerprint: journey.vault.blindIndex.index(method + ":" + Hex.encode(request.encoded())), store: journey.store, now: now) { tx in
            let order = try OrderRecord.require(request.orderId, ownedBy: nil, in: tx, cipher: cipher)
            guard order.status == .dispensing else {
                throw Status(.failedPrecondition, "order is \(order.status.wireName): items are verified while DISPENSING")
            }
            guard let prescription = try PrescriptionRecord.load(order.id, in: tx, cipher: cipher)?.prescription else {
                throw Status(.failedPrecondition, "order \(order.id) has no prescription")
            }
            let found = catalog.product(gtin: scanned)
            // Checked against the signed particulars, not against a product id kept beside them.
            let matches = found.map { $0.medication.name == prescription.medicineName && $0.product.strength == prescription.strength
                && $0.product.packDescription == prescription.packDescription } ?? false
            if matches {
                guard try tx.execute("UPDATE dispensing SET items_verified = items_verified + 1 WHERE order_id = $1 AND items_verified < items_required",
                                     [.text(order.id)]) == 1 else {
                    throw Status(.failedPrecondition, "every item of order \(order.id) is already verified")
                }
            }
            try AuditLog.append(AuditEntry(caller, at: now, method: method, resource: order.id,
                                           action: matches ? "dispensing.item_verified" : "dispensing.item_mismatch", detail: "gtin=\(scanned)"),
                                in: tx, dialect: dialect)
            return [matches ? 1 : 0] + Array(order.id.utf8)
        }
        let orderID = String(decoding: recorded.dropFirst(), as: UTF8.self)
        var response = Medexpress_V1_VerifyItemResponse()
        response.matches = recorded.first == 1
        if !response.matches {
            response.reason = try await journey.store.read { tx in
                let prescription = try PrescriptionRecord.load(orderID, in: tx, cipher: cipher)?.prescription
                let what = catalog.product(gtin: scanned).map { "\($0.medication.name) \($0.product.strength), \($0.product.packDescription)" }
                    ?? "not a product in the catalog"
                return "scanned \(scanned) is \(what); the prescription is for \(prescription?.medicineName ?? "?") \(prescription?.strength ?? ""), \(prescription?.packDescription ?? "")"
            }
        }
        response.status = try await journey.store.read { tx in try PharmacyMessages.dispensingStatus(orderID, in: tx, cipher: cipher) }
        return response
    }

    public func completeDispensing(_ request: Medexpress_V1_CompleteDispensingRequest, context: ServerContext) async throws
        -> Medexpress_V1_DispensingStatus {
        let caller = try context.requireCaller()
        let cipher = journey.vault.cipher
        return try await dispensingStep(request.requestId, orderID: request.orderId, caller: caller,
                                        method: Method.completeDispensing.descriptor.path, requestBytes: request.encoded()) { order, tx, now in
            guard order.status == .dispensing else {
                throw Status(.failedPrecondition, "order is \(order.status.wireName): dispensing completes while DISPENSING")
            }
            guard let row = try tx.query("SELECT items_required, items_verified, completed_at_us FROM dispensing WHERE order_id = $1",
                                         [.text(order.id)]).first, try row.optionalInt64("completed_at_us") == nil else {
                throw Status(.failedPrecondition, "dispensing of \(order.id) is already complete")
            }
            let required = try row.int64("items_required"), verified = try row.int64("items_verified")
            guard verified == required else {
                throw Status(.failedPrecondition, "\(verified) of \(required) items are verified: scan every item first")
            }
            guard let signed = try PrescriptionRecord.load(order.id, in: tx, cipher: cipher), signed.signatureVerified,
                  let particulars = signed.prescription else {
                throw Status(.failedPrecondition, "order \(order.id) has no prescription with a valid signature: do not supply")
            }
            let today = UKTime.localDay(at: Instant(microsecondsSinceEpoch: now))
            let entry: POMRegisterEntry
            do {
                entry = try POMRegisterEntry(prescription: try PrescriptionRecord.prescription(particulars), suppliedOn: today)
            } catch {
                throw Status(.failedPrecondition, "cannot supply: \(error)")
            }
            let id = "pom_" + Hex.encode(SecureRandom.bytes(16))
            let message = PharmacyMessages.registerEntry(entry, id: id, suppliedBy: caller.subjectID)
            try tx.execute("""
                INSERT INTO pom_register (id, order_id, prescription_id, supply_date, keep_until, entry, supplied_by, created_at_us)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, [.text(id), .text(order.id), .text(particulars.id), .text(entry.supplyDate.description), .text(entry.keepUntil.description),
                      .blob(cipher.seal(message.encoded(), context: FieldContext(table: "pom_register", column: "entry", row: id))),
                      .text(caller.subjectID), .integer(now)])
            try tx.execute("UPDATE dispensing SET completed_at_us = $1 WHERE order_id = $2", [.integer(now), .text(order.id)])
            return ("pom_register.entry", "\(id) prescription \(particulars.id)")
        }
    }

    /// One idempotent dispensing step on an order (`Journey.orderStep`); the caller gets the
    /// dispensing status as it then is.
    func dispensingStep(_ requestID: String, orderID: String, caller: Caller, method: String, requestBytes: [UInt8],
                        _ body: @escaping @Sendable (OrderRecord, any WriteTransaction, Int64) throws -> (action: String, detail: String)) async throws
        -> Medexpress_V1_DispensingStatus {
        let id = try await journey.orderStep(requestID, orderID: orderID, caller: caller, method: method, requestBytes: requestBytes, body)
        let cipher = journey.vault.cipher
        return try await journey.store.read { tx in try PharmacyMessages.dispensingStatus(id, in: tx, cipher: cipher) }
    }
}
