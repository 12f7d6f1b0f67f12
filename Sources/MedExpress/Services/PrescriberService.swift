import Domain
import Generated
import RPCCore
import Store
import Trust

/// `medexpress.v1.PrescriberService`: the review queue, the case (every read of it audited),
/// independent verifications and the decisions. Rules advise; only a prescriber decides.
public struct PrescriberService: Medexpress_V1_PrescriberServiceProvider {
    static let maxPageSize = 100
    static let defaultPageSize = 50
    /// The longest reason, request or note a prescriber may write.
    static let maxTextCharacters = 2000
    /// The plausible range of a verified weight.
    static let weightRangeKilograms = 30.0...350.0

    let journey: Journey
    let outbox: Outbox

    public init(journey: Journey, outbox: Outbox) {
        self.journey = journey
        self.outbox = outbox
    }

    typealias Method = Medexpress_V1_PrescriberService.Method

    public func listReviewQueue(_ request: Medexpress_V1_ListReviewQueueRequest, context: ServerContext) async throws
        -> Medexpress_V1_ListReviewQueueResponse {
        _ = try context.requireCaller()
        let pageSize = try checkedPageSize(request.pageSize, maximum: Self.maxPageSize, default: Self.defaultPageSize)
        let after = try PageToken(request.pageToken, of: .order)
        let catalog = journey.catalog
        let flaggedOnly = request.flaggedOnly
        return try await journey.store.read { tx in
            // Oldest first: the order placed first has waited longest.
            let rows = try tx.query("""
                SELECT o.id, o.consultation_id, o.treatment_id, o.status, o.created_at_us, o.flag_count, c.identity_status,
                       (SELECT COUNT(*) FROM verifications v WHERE v.order_id = o.id AND v.independent = 1) AS verifications
                FROM orders o JOIN customers c ON c.id = o.customer_id
                WHERE o.status = $1 AND (o.created_at_us > $2 OR (o.created_at_us = $2 AND o.id > $3)) AND ($4 = 0 OR o.flag_count > 0)
                ORDER BY o.created_at_us, o.id LIMIT $5
                """, [.integer(OrderMessages.stored(.pendingClinicalApproval)), .integer(after?.at ?? Int64.min),
                      .text(after?.id ?? ""), .integer(flaggedOnly ? 1 : 0), .integer(Int64(pageSize + 1))])
            var response = Medexpress_V1_ListReviewQueueResponse()
            for row in rows.prefix(pageSize) {
                var entry = Medexpress_V1_ReviewQueueEntry()
                entry.orderId = try row.string("id")
                entry.consultationId = try row.string("consultation_id")
                entry.treatmentId = try row.string("treatment_id")
                entry.status = OrderMessages.message(try OrderMessages.status(stored: try row.int64("status")))
                entry.placedAt = Timestamps.timestamp(microseconds: try row.int64("created_at_us"))
                entry.flagCount = Int32(try row.int64("flag_count"))
                let treatment = catalog.treatment(TreatmentID(entry.treatmentId))
                let identityVerified = try row.int64("identity_status") == 1
                let weightVerified = try row.int64("verifications") > 0
                entry.awaitingIdentityCheck = (treatment?.requiresIdentityCheck ?? false) && !identityVerified
                entry.awaitingWeightVerification = (treatment?.requiresWeightVerification ?? false) && !weightVerified
                response.entries.append(entry)
            }
            if rows.count > pageSize, let last = rows.prefix(pageSize).last {
                response.nextPageToken = PageToken(at: try last.int64("created_at_us"), id: try last.string("id")).text
            }
            return response
        }
    }

    public func getCase(_ request: Medexpress_V1_GetCaseRequest, context: ServerContext) async throws -> Medexpress_V1_Case {
        let caller = try context.requireCaller()
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let catalog = journey.catalog
        let dialect = journey.store.dialect
        // Read and audit entry in one transaction: nobody sees health data without the log saying so.
        return try await journey.store.write { tx in
            let order = try OrderRecord.require(request.orderId, ownedBy: nil, in: tx, cipher: cipher)
            let caseFile = try CaseFile(order: order, today: UKTime.localDay(at: Instant(microsecondsSinceEpoch: now)),
                                        catalog: catalog, cipher: cipher, in: tx)
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.getCase.descriptor.path, resource: order.id,
                                           action: "health_data.read",
                                           detail: "case of \(order.customerID): consultation \(order.consultationID), \(caseFile.message.answerHistory.count) questions"),
                                in: tx, dialect: dialect)
            return caseFile.message
        }
    }

    public func recordVerification(_ request: Medexpress_V1_RecordVerificationRequest, context: ServerContext) async throws
        -> Medexpress_V1_Verification {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        switch request.method {
        case .videoConsultation, .gpRecords, .inPerson, .photo: break
        default: throw Status(.invalidArgument, "method: VIDEO_CONSULTATION, GP_RECORDS, IN_PERSON or PHOTO")
        }
        guard Self.weightRangeKilograms.contains(request.weightKg) else {
            throw Status(.invalidArgument, "weight_kg: the weight confirmed, \(Int(Self.weightRangeKilograms.lowerBound)) to \(Int(Self.weightRangeKilograms.upperBound)) kg")
        }
        let notes = try checkedText(request.notes, field: "notes", maxCharacters: PrescriberService.maxTextCharacters, required: false)
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        let id = "ver_" + Hex.encode(SecureRandom.bytes(16))
        // API.md: a photo alone is not an independent verification of weight.
        let independent = request.method != .photo
        var verification = Medexpress_V1_Verification()
        verification.verificationId = id
        verification.orderId = request.orderId
        verification.method = request.method
        verification.weightKg = request.weightKg
        verification.notes = notes
        verification.recordedBy = caller.subjectID
        verification.recordedAt = Timestamps.timestamp(microseconds: now)
        verification.independent = independent
        let details = verification
        let recorded = try await Idempotency.once(
            scope: "RecordVerification/" + caller.subjectID, requestID: request.requestId,
            fingerprint: journey.vault.blindIndex.index("RecordVerification:" + Hex.encode(request.encoded())),
            store: journey.store, now: now) { tx in
            let order = try OrderRecord.require(request.orderId, ownedBy: nil, in: tx, cipher: cipher)
            guard order.status.isBeforePrescribing else {
                throw Status(.failedPrecondition, "order is \(order.status.wireName): verifications are recorded before the decision")
            }
            try tx.execute("""
                INSERT INTO verifications (id, order_id, customer_id, method, details, independent, recorded_by, recorded_at_us)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, [.text(id), .text(order.id), .text(order.customerID), .integer(Int64(request.method.rawValue)),
                      .blob(cipher.seal(details.encoded(), context: FieldContext(table: "verifications", column: "details", row: id))),
                      .integer(independent ? 1 : 0), .text(caller.subjectID), .integer(now)])
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.recordVerification.descriptor.path, resource: order.id,
                                           action: "verification.recorded",
                                           detail: "\(id) method=\(request.method.protoName) independent=\(independent)"),
                                in: tx, dialect: dialect)
            return Array(id.utf8)
        }
        let verificationID = String(decoding: recorded, as: UTF8.self)
        return try await journey.store.read { tx in
            guard let row = try tx.query("SELECT details FROM verifications WHERE id = $1", [.text(verificationID)]).first else {
                throw Status(.internalError, "verification \(verificationID) vanished")
            }
            return try Medexpress_V1_Verification(decoding: try cipher.open(try row.bytes("details"),
                                                                            context: FieldContext(table: "verifications", column: "details", row: verificationID)))
        }
    }

    public func reject(_ request: Medexpress_V1_RejectRequest, context: ServerContext) async throws -> Medexpress_V1_Order {
        let caller = try context.requireCaller()
        let reason = try checkedText(request.reason, field: "reason", maxCharacters: PrescriberService.maxTextCharacters, required: true)
        return try await decide(request.requestId, orderID: request.orderId, caller: caller, method: Method.reject.descriptor.path,
                                requestBytes: request.encoded()) { order, tx, now in
            _ = try order.transition(.reject, actor: caller.subjectID, reason: "not prescribed: \(reason)", now: now, in: tx)
            // The prescriber refused: an earlier refusal is compared when the customer consults again.
            try tx.execute("UPDATE consultations SET outcome = $1 WHERE id = $2",
                           [.integer(ConsultationRecord.Outcome.refused.rawValue), .text(order.consultationID)])
            try outbox.enqueue(.releasePayment(orderID: order.id, paymentID: order.paymentID), now: now, in: tx)
            try Notices.email(customer: order.customerID, about: order.id, journey: journey, outbox: outbox, now: now, in: tx) { name in
                .rejected(givenName: name, orderID: order.id, prescriberReason: reason, payment: .released(Notices.total(order)))
            }
            return ("order.rejected", "consultation=\(order.consultationID)")
        }
    }

    public func requestInformation(_ request: Medexpress_V1_RequestInformationRequest, context: ServerContext) async throws
        -> Medexpress_V1_Order {
        let caller = try context.requireCaller()
        let message = try checkedText(request.message, field: "message", maxCharacters: PrescriberService.maxTextCharacters, required: true)
        let cipher = journey.vault.cipher
        return try await decide(request.requestId, orderID: request.orderId, caller: caller,
                                method: Method.requestInformation.descriptor.path, requestBytes: request.encoded()) { order, tx, now in
            let moved = try order.transition(.requestInformation, actor: caller.subjectID, reason: "the prescriber asked a question",
                                             now: now, in: tx)
            try OrderRecord.require(order.id, ownedBy: nil, in: tx, cipher: cipher).appendMessage(message, author: caller, now: now, in: tx, cipher: cipher)
            let days = journey.catalog.treatment(order.treatmentID)?.waitingLimitDays ?? 7
            let answerBy = UKTime.localDay(at: Instant(microsecondsSinceEpoch: now)).adding(days: days)
            try Notices.email(customer: order.customerID, about: order.id, journey: journey, outbox: outbox, now: now, in: tx) { name in
                .informationRequested(givenName: name, orderID: order.id, requestNumber: Int(order.messageCount) + 1,
                                      prescriberMessage: message, answerBy: answerBy)
            }
            return ("order.information_requested", "status=\(moved.wireName)")
        }
    }

    /// A prescriber's idempotent step on an order (`Journey.orderStep`); the caller gets the order
    /// as it then is.
    func decide(_ requestID: String, orderID: String, caller: Caller, method: String, requestBytes: [UInt8],
                _ body: @escaping @Sendable (OrderRecord, any WriteTransaction, Int64) throws -> (action: String, detail: String)) async throws
        -> Medexpress_V1_Order {
        let id = try await journey.orderStep(requestID, orderID: orderID, caller: caller, method: method, requestBytes: requestBytes, body)
        let cipher = journey.vault.cipher
        let catalog = journey.catalog
        return try await journey.store.read { tx in
            try OrderRecord.require(id, ownedBy: nil, in: tx, cipher: cipher).message(in: tx, catalog: catalog, cipher: cipher)
        }
    }
}
