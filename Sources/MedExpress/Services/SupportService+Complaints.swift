import Domain
import Generated
import RPCCore
import Store
import Trust

/// Complaints about orders (issue 5): filed by the customer about their own order once it has left
/// the pharmacy, evidence asked for by email and uploaded as photos (sealed, checksummed), and one
/// resolution for good: a refund through the payment gateway (queued in the outbox in the
/// resolution's transaction, refunded once however often delivered), a replacement order at no
/// charge, or no action, always with the reason. Every change writes a "complaint.…" audit entry
/// whose resource is the order, so the order's trail, the dashboard and the reports see it; the
/// entry's detail names the complaint. Complaint text and photos are health data: sealed at rest,
/// and every staff read is audited.
extension SupportService {
    /// The complaint reasons a customer may give.
    static let complaintReasons: [Medexpress_V1_ComplaintReason] = [.tamperedPackaging, .damaged, .wrongItem, .late, .complaintOther]

    public func fileComplaint(_ request: Medexpress_V1_FileComplaintRequest, context: ServerContext) async throws
        -> Medexpress_V1_Complaint {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        let reason = request.reason
        guard Self.complaintReasons.contains(reason) else {
            throw Status(.invalidArgument, "reason: \(Self.complaintReasons.map(\.protoName).joined(separator: ", "))")
        }
        let description = try checkedText(request.description, field: "description", maxCharacters: ComplaintRecord.maxTextCharacters)
        let customerID = caller.subjectID
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        let recorded = try await Idempotency.once(
            scope: "FileComplaint/" + customerID, requestID: request.requestId,
            fingerprint: journey.vault.blindIndex.index("FileComplaint:" + Hex.encode(request.encoded())),
            store: journey.store, now: now) { tx in
            let order = try OrderRecord.require(request.orderId, ownedBy: customerID, in: tx, cipher: cipher)
            guard order.status.isWithCourier || order.status == .delivered || order.status == .returned else {
                throw Status(.failedPrecondition, """
                    order \(order.id) is \(order.status): a complaint is about an order that was dispatched or delivered; \
                    before dispatch, cancel the order or open a support ticket
                    """)
            }
            let id = OpaqueID.make(prefix: .complaint)
            try tx.execute("""
                INSERT INTO complaints (id, order_id, customer_id, reason, state, description, filed_at_us, updated_at_us)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
                """, [.text(id), .text(order.id), .text(customerID), .integer(Int64(reason.rawValue)),
                      .integer(ComplaintRecord.stored(.open)),
                      ComplaintRecord.seal(description, column: "description", complaint: id, cipher: cipher), .integer(now)])
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.fileComplaint.descriptor.path, resource: order.id,
                                           action: "complaint.filed", detail: "complaint=\(id) reason=\(reason.protoName)"),
                                in: tx, dialect: dialect)
            return Array(id.utf8)
        }
        return try await complaintView(String(decoding: recorded, as: UTF8.self), ownedBy: customerID)
    }

    /// The caller's complaints, newest first, with their photos' details but not their bytes.
    public func listMyComplaints(_ request: Medexpress_V1_ListMyComplaintsRequest, context: ServerContext) async throws
        -> Medexpress_V1_ListComplaintsResponse {
        let caller = try context.requireCaller()
        let pageSize = try checkedPageSize(request.pageSize, maximum: Self.maxPageSize, default: Self.defaultCustomerPageSize)
        let after = try PageToken(request.pageToken, of: .complaint)
        let cipher = journey.vault.cipher
        let customerID = caller.subjectID
        return try await journey.store.read { tx in
            let rows = try tx.query("""
                SELECT \(ComplaintRecord.columns) FROM complaints
                WHERE customer_id = $1 AND (filed_at_us < $2 OR (filed_at_us = $2 AND id < $3))
                ORDER BY filed_at_us DESC, id DESC LIMIT $4
                """, [.text(customerID), .integer(after?.at ?? Int64.max), .text(after?.id ?? ""), .integer(Int64(pageSize + 1))])
            let complaints = try rows.prefix(pageSize).map { try ComplaintRecord($0, cipher: cipher) }
            var response = Medexpress_V1_ListComplaintsResponse()
            response.complaints = try complaints.map {
                $0.message(with: try ComplaintRecord.evidence(of: $0.id, includingContent: false, in: tx, cipher: cipher))
            }
            if rows.count > pageSize, let last = complaints.last {
                response.nextPageToken = PageToken(at: last.filedAt, id: last.id).text
            }
            return response
        }
    }

    /// Complaints for the support team, oldest first. Descriptions are health data, so the listing
    /// is an audited read (one entry naming the complaints shown).
    public func listComplaints(_ request: Medexpress_V1_ListComplaintsRequest, context: ServerContext) async throws
        -> Medexpress_V1_ListComplaintsResponse {
        let caller = try context.requireCaller()
        let pageSize = try checkedPageSize(request.pageSize, maximum: Self.maxPageSize, default: Self.defaultStaffPageSize)
        let after = try PageToken(request.pageToken, of: .complaint)
        let states = try request.states.map { state throws(Status) -> Int64 in
            guard let known = ComplaintState.allCases.first(where: { ComplaintRecord.message($0) == state }) else {
                throw Status(.invalidArgument, "states: COMPLAINT_OPEN, EVIDENCE_REQUESTED or COMPLAINT_RESOLVED")
            }
            return ComplaintRecord.stored(known)
        }
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        var parameters: [SQLValue] = [.integer(after?.at ?? Int64.min), .text(after?.id ?? ""), .integer(Int64(pageSize + 1))]
        var stateFilter = ""
        if !states.isEmpty {
            let placeholders = states.indices.map { "$\(parameters.count + 1 + $0)" }
            stateFilter = " AND state IN (\(placeholders.joined(separator: ", ")))"
            parameters += states.map { .integer($0) }
        }
        let filters = parameters
        let query = """
            SELECT \(ComplaintRecord.columns) FROM complaints
            WHERE (filed_at_us > $1 OR (filed_at_us = $1 AND id > $2))\(stateFilter)
            ORDER BY filed_at_us, id LIMIT $3
            """
        return try await journey.store.write { tx in
            let rows = try tx.query(query, filters)
            let complaints = try rows.prefix(pageSize).map { try ComplaintRecord($0, cipher: cipher) }
            var response = Medexpress_V1_ListComplaintsResponse()
            response.complaints = try complaints.map {
                $0.message(with: try ComplaintRecord.evidence(of: $0.id, includingContent: false, in: tx, cipher: cipher))
            }
            if rows.count > pageSize, let last = complaints.last {
                response.nextPageToken = PageToken(at: last.filedAt, id: last.id).text
            }
            if !complaints.isEmpty {
                try AuditLog.append(AuditEntry(caller, at: now, method: Method.listComplaints.descriptor.path, resource: "",
                                               action: "health_data.read",
                                               detail: "complaints: " + complaints.map(\.id).joined(separator: " ")),
                                    in: tx, dialect: dialect)
            }
            return response
        }
    }

    /// The complaint with its photos, bytes included: the read and its audit entry in one transaction.
    public func getComplaint(_ request: Medexpress_V1_GetComplaintRequest, context: ServerContext) async throws -> Medexpress_V1_Complaint {
        let caller = try context.requireCaller()
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        return try await journey.store.write { tx in
            let complaint = try ComplaintRecord.require(request.complaintId, ownedBy: nil, in: tx, cipher: cipher)
            let evidence = try ComplaintRecord.evidence(of: complaint.id, includingContent: true, in: tx, cipher: cipher)
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.getComplaint.descriptor.path, resource: complaint.orderID,
                                           action: "health_data.read",
                                           detail: "complaint=\(complaint.id) of \(complaint.customerID): \(evidence.count) photos"),
                                in: tx, dialect: dialect)
            return complaint.message(with: evidence)
        }
    }

    /// Asks the customer for photos: the request is kept (sealed) on the complaint and emailed to
    /// them through the outbox. Asking again replaces what is asked and sends a new email.
    public func requestEvidence(_ request: Medexpress_V1_RequestEvidenceRequest, context: ServerContext) async throws
        -> Medexpress_V1_Complaint {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        let message = try checkedText(request.message, field: "message", maxCharacters: ComplaintRecord.maxTextCharacters)
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        let journey = journey
        let outbox = outbox
        let recorded = try await Idempotency.once(
            scope: "RequestEvidence/" + caller.subjectID, requestID: request.requestId,
            fingerprint: journey.vault.blindIndex.index("RequestEvidence:" + Hex.encode(request.encoded())),
            store: journey.store, now: now) { tx in
            let complaint = try ComplaintRecord.require(request.complaintId, ownedBy: nil, in: tx, cipher: cipher)
            let next = try complaint.next(.requestEvidence)
            let number = complaint.evidenceRequests + 1
            try ComplaintRecord.requireOneChanged(try tx.execute("""
                UPDATE complaints SET state = $1, evidence_request = $2, evidence_requests = $3, updated_at_us = $4
                WHERE id = $5 AND state = $6 AND evidence_requests = $7
                """, [.integer(ComplaintRecord.stored(next)),
                      ComplaintRecord.seal(message, column: "evidence_request", complaint: complaint.id, cipher: cipher),
                      .integer(number), .integer(now), .text(complaint.id), .integer(ComplaintRecord.stored(complaint.state)),
                      .integer(complaint.evidenceRequests)]), complaint.id)
            // The support team's words reach the customer as a reply on their enquiry (the
            // complaint's reference), numbered so that a second request is a second email.
            try Notices.email(customer: complaint.customerID, about: complaint.id, journey: journey, outbox: outbox, now: now, in: tx) { name in
                .ticketReply(givenName: name, ticketID: complaint.id, replyNumber: Int(number), replyText: message)
            }
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.requestEvidence.descriptor.path, resource: complaint.orderID,
                                           action: "complaint.evidence_requested", detail: "complaint=\(complaint.id) request=\(number)"),
                                in: tx, dialect: dialect)
            return Array(complaint.id.utf8)
        }
        return try await complaintView(String(decoding: recorded, as: UTF8.self), ownedBy: nil)
    }

    /// One photo in chunks: the first names the complaint and the content type; the bytes must
    /// carry that type's signature and stay within `ComplaintRecord.maxPhotoBytes`. Stored sealed,
    /// with the SHA-256 of the bytes as uploaded.
    public func uploadEvidence(_ requests: RequestStream<Medexpress_V1_UploadEvidenceChunk>, context: ServerContext) async throws
        -> Medexpress_V1_Evidence {
        let caller = try context.requireCaller()
        let customerID = caller.subjectID
        let cipher = journey.vault.cipher
        var first: Medexpress_V1_UploadEvidenceChunk?
        var bytes: [UInt8] = []
        for try await chunk in requests {
            if let first {
                guard (chunk.requestId.isEmpty || chunk.requestId == first.requestId),
                      (chunk.complaintId.isEmpty || chunk.complaintId == first.complaintId),
                      (chunk.contentType.isEmpty || chunk.contentType == first.contentType) else {
                    throw Status(.invalidArgument, "one upload is one photo: later chunks carry only data")
                }
            } else {
                try Idempotency.check(chunk.requestId)
                guard ComplaintRecord.contentTypes.contains(chunk.contentType) else {
                    throw Status(.invalidArgument, "content_type: \(ComplaintRecord.contentTypes.joined(separator: ", "))")
                }
                // Refused before the bytes are taken when the complaint is not the caller's.
                let complaintID = chunk.complaintId
                _ = try await journey.store.read { tx in
                    try ComplaintRecord.require(complaintID, ownedBy: customerID, in: tx, cipher: cipher)
                }
                first = chunk
            }
            guard chunk.data.count <= ComplaintRecord.maxPhotoBytes - bytes.count else {
                throw Status(.invalidArgument, "a photo is at most \(ComplaintRecord.maxPhotoBytes / (1024 * 1024)) MiB")
            }
            bytes += chunk.data
        }
        guard let first else { throw Status(.invalidArgument, "no chunks: the first names the complaint and the content type") }
        guard !bytes.isEmpty else { throw Status(.invalidArgument, "data: the photo's bytes are needed") }
        let contentType = first.contentType
        guard ComplaintRecord.signatureMatches(contentType, bytes) else {
            throw Status(.invalidArgument, "data: the bytes are not \(contentType)")
        }
        let sha256 = Hex.encode(Digest.sha256(bytes))
        let photo = bytes
        let now = journey.clock()
        let dialect = journey.store.dialect
        let recorded = try await Idempotency.once(
            scope: "UploadEvidence/" + customerID, requestID: first.requestId,
            fingerprint: journey.vault.blindIndex.index("UploadEvidence:\(first.complaintId):\(contentType):\(sha256)"),
            store: journey.store, now: now) { tx in
            let complaint = try ComplaintRecord.require(first.complaintId, ownedBy: customerID, in: tx, cipher: cipher)
            let next = try complaint.next(.uploadEvidence)
            guard complaint.evidenceCount < ComplaintRecord.maxPhotos else {
                throw Status(.failedPrecondition, "complaint \(complaint.id) holds \(ComplaintRecord.maxPhotos) photos, the most one may")
            }
            let number = complaint.evidenceCount + 1
            try ComplaintRecord.requireOneChanged(try tx.execute("""
                UPDATE complaints SET state = $1, evidence_count = $2, updated_at_us = $3 WHERE id = $4 AND state = $5 AND evidence_count = $6
                """, [.integer(ComplaintRecord.stored(next)), .integer(number), .integer(now), .text(complaint.id),
                      .integer(ComplaintRecord.stored(complaint.state)), .integer(complaint.evidenceCount)]), complaint.id)
            let evidenceID = ComplaintRecord.evidenceID(complaint: complaint.id, number: number)
            try tx.execute("""
                INSERT INTO complaint_evidence (id, complaint_id, content_type, size_bytes, sha256, content, uploaded_at_us)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, [.text(evidenceID), .text(complaint.id), .text(contentType), .integer(Int64(photo.count)), .text(sha256),
                      .blob(cipher.seal(photo, context: FieldContext(table: "complaint_evidence", column: "content", row: evidenceID))),
                      .integer(now)])
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.uploadEvidence.descriptor.path, resource: complaint.orderID,
                                           action: "complaint.evidence_uploaded",
                                           detail: "complaint=\(complaint.id) evidence=\(evidenceID) type=\(contentType) bytes=\(photo.count) sha256=\(sha256)"),
                                in: tx, dialect: dialect)
            return Array(evidenceID.utf8)
        }
        let evidenceID = String(decoding: recorded, as: UTF8.self)
        let evidence = try await journey.store.read { tx in
            try ComplaintRecord.evidence(of: first.complaintId, includingContent: false, in: tx, cipher: cipher)
        }
        guard let uploaded = evidence.first(where: { $0.evidenceId == evidenceID }) else {
            throw Status(.internalError, "evidence \(evidenceID) was recorded but cannot be read back")
        }
        return uploaded
    }

    /// Resolves the complaint once, for good, with the reason. A refund is a `refunds` row and an
    /// outbox message in this transaction (the gateway is called after the commit, with the
    /// refund's own idempotency key); a replacement is a new order at no charge.
    public func resolveComplaint(_ request: Medexpress_V1_ResolveComplaintRequest, context: ServerContext) async throws
        -> Medexpress_V1_Complaint {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        let outcome = request.outcome
        guard [.fullRefund, .partialRefund, .replacement, .noAction].contains(outcome) else {
            throw Status(.invalidArgument, "outcome: FULL_REFUND, PARTIAL_REFUND, REPLACEMENT or NO_ACTION")
        }
        let note = try checkedText(request.note, field: "note", maxCharacters: ComplaintRecord.maxTextCharacters)
        let asked = request.refund?.minorUnits ?? 0
        if outcome == .partialRefund {
            guard asked > 0 else { throw Status(.invalidArgument, "refund: a partial refund needs an amount above zero") }
            guard let currency = request.refund?.currency, currency.isEmpty || currency == "GBP" else {
                throw Status(.invalidArgument, "refund: in GBP")
            }
        } else if request.refund != nil && asked != 0 {
            throw Status(.invalidArgument, "refund: only for PARTIAL_REFUND (a full refund is what is left to refund)")
        }
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        let outbox = outbox
        let recorded = try await Idempotency.once(
            scope: "ResolveComplaint/" + caller.subjectID, requestID: request.requestId,
            fingerprint: journey.vault.blindIndex.index("ResolveComplaint:" + Hex.encode(request.encoded())),
            store: journey.store, now: now) { tx in
            let complaint = try ComplaintRecord.require(request.complaintId, ownedBy: nil, in: tx, cipher: cipher)
            let next = try complaint.next(.resolve)
            let order = try OrderRecord.require(complaint.orderID, ownedBy: nil, in: tx, cipher: cipher)
            var refundPence: Int64?
            var refundID: String?
            var replacementID: String?
            switch outcome {
            case .fullRefund, .partialRefund:
                guard order.paymentStatus == .captured || order.paymentStatus == .partiallyRefunded else {
                    throw Status(.failedPrecondition, """
                        order \(order.id)'s payment is \(order.paymentStatus.protoName): only a captured payment is refunded
                        """)
                }
                // What was captured (the order's total) less the refunds not refused so far.
                let captured = Notices.total(order).value
                let earlier = try tx.query("SELECT amount_pence FROM refunds WHERE order_id = $1 AND state <> $2",
                                           [.text(order.id), .integer(RefundState.failed.rawValue)])
                    .reduce(Int64(0)) { $0 + (try $1.int64("amount_pence")) }
                let remaining = captured - earlier
                let amount = outcome == .fullRefund ? remaining : asked
                guard remaining > 0 else {
                    throw Status(.failedPrecondition, "order \(order.id): all \(Pence(captured)) captured has been refunded already")
                }
                guard amount <= remaining else {
                    throw Status(.invalidArgument, "refund: at most \(Pence(remaining)), what was captured less refunds so far")
                }
                let id = "rfd_" + Hex.encode(SecureRandom.bytes(16))
                try tx.execute("""
                    INSERT INTO refunds (id, order_id, complaint_id, amount_pence, state, requested_by, requested_at_us)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    """, [.text(id), .text(order.id), .text(complaint.id), .integer(amount), .integer(RefundState.pending.rawValue),
                          .text(caller.subjectID), .integer(now)])
                try outbox.enqueue(.refundPayment(orderID: order.id, refundID: id, paymentID: order.paymentID, amountInPence: amount),
                                   now: now, in: tx)
                refundPence = amount
                refundID = id
            case .replacement:
                replacementID = try Self.placeReplacement(of: order, complaint: complaint.id, caller: caller, now: now, in: tx,
                                                          cipher: cipher, dialect: dialect)
            default:
                break
            }
            try ComplaintRecord.requireOneChanged(try tx.execute("""
                UPDATE complaints SET state = $1, outcome = $2, refund_pence = $3, replacement_order_id = $4, resolution_note = $5,
                                      resolved_by = $6, resolved_at_us = $7, updated_at_us = $7
                WHERE id = $8 AND state = $9
                """, [.integer(ComplaintRecord.stored(next)), .integer(Int64(outcome.rawValue)), refundPence.map { .integer($0) } ?? .null,
                      replacementID.map { .text($0) } ?? .null,
                      ComplaintRecord.seal(note, column: "resolution_note", complaint: complaint.id, cipher: cipher),
                      .text(caller.subjectID), .integer(now), .text(complaint.id), .integer(ComplaintRecord.stored(complaint.state))]),
                complaint.id)
            let remedy: CustomerEmail.ComplaintRemedy = if let refundPence { .refund(Pence(refundPence)) }
                else if let replacementID { .replacement(orderID: replacementID) } else { .noAction }
            try Notices.email(customer: order.customerID, about: complaint.id, journey: journey, outbox: outbox, now: now, in: tx) { name in
                .complaintResolved(givenName: name, complaintID: complaint.id, orderID: order.id, remedy: remedy, note: note)
            }
            var detail = "complaint=\(complaint.id) outcome=\(outcome.protoName)"
            if let refundID, let refundPence { detail += " refund=\(refundID) refund_pence=\(refundPence)" }
            if let replacementID { detail += " replacement=\(replacementID)" }
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.resolveComplaint.descriptor.path, resource: order.id,
                                           action: "complaint.resolved", detail: detail),
                                in: tx, dialect: dialect)
            return Array(complaint.id.utf8)
        }
        return try await complaintView(String(decoding: recorded, as: UTF8.self), ownedBy: nil)
    }

    /// A new order for the same product and delivery as `original`, at no charge (every amount
    /// zero, no payment, so no gateway call ever), linked to it. It starts in
    /// PENDING_CLINICAL_APPROVAL: a new supply of a prescription-only medicine needs a
    /// prescription of its own, so a prescriber approves it again before the pharmacy dispenses.
    static func placeReplacement(of original: OrderRecord, complaint: String, caller: Caller, now: Int64, in tx: any WriteTransaction,
                                 cipher: FieldCipher, dialect: SQLDialect) throws -> String {
        let id = OpaqueID.make(prefix: .order)
        var quote = original.quote
        let zero = Medexpress_V1_Money.with { $0.minorUnits = 0; $0.currency = "GBP" }
        quote.lines = quote.lines.filter { $0.kind != .discount }.map { line in
            var free = line
            free.amount = zero
            return free
        }
        quote.medication = zero
        quote.discount = zero
        quote.delivery = zero
        quote.total = zero
        quote.discountCode = ""
        let address = cipher.seal(original.deliveryAddress.encoded(), context: FieldContext(table: "orders", column: "delivery_address", row: id))
        try tx.execute("""
            INSERT INTO orders (id, customer_id, consultation_id, treatment_id, product_id, quantity, status, payment_status, payment_id,
                                payment_method_index, delivery_option_id, delivery_address, medication_pence, discount_pence,
                                delivery_pence, total_pence, discount_code, quote, flag_count, checkout_flags, status_changes,
                                replaces_order_id, created_at_us, updated_at_us)
            SELECT $1, customer_id, consultation_id, treatment_id, product_id, quantity, $2, $3, '', $4, delivery_option_id, $5,
                   0, 0, 0, 0, NULL, $6, flag_count, checkout_flags, 1, id, $7, $7
            FROM orders WHERE id = $8
            """, [.text(id), .integer(OrderMessages.stored(.pendingClinicalApproval)),
                  .integer(Int64(Medexpress_V1_PaymentStatus.unspecified.rawValue)), .blob([]), .blob(address), .blob(quote.encoded()),
                  .integer(now), .text(original.id)])
        try OrderRecord.recordStatus(.pendingClinicalApproval, order: id, sequence: 1, actor: caller.subjectID,
                                     reason: "replacement for order \(original.id) (complaint \(complaint)) at no charge; "
                                         + "waiting for a prescriber's review",
                                     now: now, in: tx)
        try AuditLog.append(AuditEntry(caller, at: now, method: Method.resolveComplaint.descriptor.path, resource: id, action: "order.placed",
                                       detail: "replacement for \(original.id) complaint=\(complaint) total_pence=0"),
                            in: tx, dialect: dialect)
        return id
    }

    /// The complaint with its photos' details (no bytes), if it is `customerID`'s (any with nil).
    func complaintView(_ complaintID: String, ownedBy customerID: String?) async throws -> Medexpress_V1_Complaint {
        let cipher = journey.vault.cipher
        return try await journey.store.read { tx in
            let complaint = try ComplaintRecord.require(complaintID, ownedBy: customerID, in: tx, cipher: cipher)
            return complaint.message(with: try ComplaintRecord.evidence(of: complaint.id, includingContent: false, in: tx, cipher: cipher))
        }
    }
}
