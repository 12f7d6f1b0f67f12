import Domain
import Generated
import RPCCore
import Store
import Trust

extension PrescriberService {
    /// The most a page of queries holds, under gRPC's 4 MiB message: a page ends early rather than
    /// outgrow it (it always holds at least one query, which `TicketRecord.maxMessages` bounds).
    static let maxQueryPageBytes = 3 * 1024 * 1024

    /// Support tickets escalated to prescribers and not yet answered, the longest waiting first.
    /// Each carries the conversation, so each is an audited read of health data.
    public func listQueries(_ request: Medexpress_V1_ListQueriesRequest, context: ServerContext) async throws
        -> Medexpress_V1_ListQueriesResponse {
        let caller = try context.requireCaller()
        guard (0...Self.maxPageSize).contains(Int(request.pageSize)) else {
            throw Status(.invalidArgument, "page_size: 1 to \(Self.maxPageSize) (0 for \(Self.defaultPageSize))")
        }
        let pageSize = request.pageSize == 0 ? Self.defaultPageSize : Int(request.pageSize)
        let after = try PageToken(request.pageToken, of: .ticket)
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        return try await journey.store.write { tx in
            let rows = try tx.query("""
                SELECT \(TicketRecord.columns) FROM tickets
                WHERE state = $1 AND escalated_to = $2 AND (escalated_at_us > $3 OR (escalated_at_us = $3 AND id > $4))
                ORDER BY escalated_at_us, id LIMIT $5
                """, [.integer(TicketRecord.stored(.escalated)), .integer(Int64(Medexpress_V1_EscalationTarget.escalateToPrescriber.rawValue)),
                      .integer(after?.at ?? Int64.min), .text(after?.id ?? ""), .integer(Int64(pageSize + 1))])
            var response = Medexpress_V1_ListQueriesResponse()
            var bytes = 0
            var last: TicketRecord?
            var more = rows.count > pageSize
            for row in rows.prefix(pageSize) {
                let ticket = try TicketRecord(row, cipher: cipher)
                var query = Medexpress_V1_EscalatedQuery()
                query.ticketId = ticket.id
                query.customerId = ticket.customerID
                query.orderId = ticket.orderID ?? ""
                query.subject = ticket.subject
                query.messages = try TicketRecord.messages(of: ticket.id, after: 0, includingInternal: true, in: tx, cipher: cipher)
                query.escalatedAt = Timestamps.timestamp(microseconds: ticket.escalatedAt ?? ticket.openedAt)
                let size = query.encoded().count
                if last != nil && bytes + size > Self.maxQueryPageBytes {
                    more = true
                    break
                }
                bytes += size
                last = ticket
                response.queries.append(query)
                try AuditLog.append(AuditEntry(caller, at: now, method: Method.listQueries.descriptor.path, resource: ticket.id,
                                               action: "health_data.read",
                                               detail: "escalated query of \(ticket.customerID): \(query.messages.count) messages"),
                                    in: tx, dialect: dialect)
            }
            if more, let last {
                response.nextPageToken = PageToken(at: last.escalatedAt ?? last.openedAt, id: last.id).text
            }
            return response
        }
    }

    /// Answers an escalated ticket: an internal message for the support team, who reply to the
    /// customer; the ticket goes back to them (OPEN).
    public func answerQuery(_ request: Medexpress_V1_AnswerQueryRequest, context: ServerContext) async throws
        -> Medexpress_V1_AnswerQueryResponse {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        let answer = try checkedText(request.answer, field: "answer", maxCharacters: PrescriberService.maxTextCharacters, required: true)
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        let recorded = try await Idempotency.once(
            scope: "AnswerQuery/" + caller.subjectID, requestID: request.requestId,
            fingerprint: journey.vault.blindIndex.index("AnswerQuery:" + Hex.encode(request.encoded())),
            store: journey.store, now: now) { tx in
            let ticket = try TicketRecord.require(request.ticketId, ownedBy: nil, in: tx, cipher: cipher)
            if ticket.state == .escalated && ticket.escalatedTo != .escalateToPrescriber {
                throw Status(.failedPrecondition, "ticket is ESCALATED to the pharmacy, not to prescribers")
            }
            try ticket.record(.answerEscalation, by: caller, message: .init(text: answer, isInternal: true), now: now, in: tx, cipher: cipher)
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.answerQuery.descriptor.path, resource: ticket.id,
                                           action: "ticket.answered_by_prescriber"),
                                in: tx, dialect: dialect)
            var response = Medexpress_V1_AnswerQueryResponse()
            response.ticketId = ticket.id
            response.answeredAt = Timestamps.timestamp(microseconds: now)
            // Ids and an instant only: safe to keep in clear for retries.
            return response.encoded()
        }
        return try Medexpress_V1_AnswerQueryResponse(decoding: recorded)
    }
}
