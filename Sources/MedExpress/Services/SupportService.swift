import Domain
import Generated
import RPCCore
import Store
import Trust

/// `medexpress.v1.SupportService`: the CRM. A customer opens tickets and chats on their own (anyone
/// else's is NOT_FOUND, like one that does not exist); the support team lists, assigns, replies
/// (emailed through the outbox), escalates and resolves. Ticket text is health data: sealed at
/// rest, every staff read audited, audit entries holding ids only. Every change writes a
/// "ticket.…" audit entry whose resource is the ticket: the change feed, and so the live chat,
/// follows them.
public struct SupportService: Medexpress_V1_SupportServiceProvider {
    /// The largest page of ListMyTickets and ListTickets.
    static let maxPageSize = 100
    /// ListMyTickets' page when the request names none.
    static let defaultCustomerPageSize = 20
    /// ListTickets' page when the request names none.
    static let defaultStaffPageSize = 50

    let journey: Journey
    /// Where the replies' emails are queued, in the transaction of the reply.
    let outbox: Outbox

    public init(journey: Journey, outbox: Outbox) {
        self.journey = journey
        self.outbox = outbox
    }

    typealias Method = Medexpress_V1_SupportService.Method

    public func openTicket(_ request: Medexpress_V1_OpenTicketRequest, context: ServerContext) async throws -> Medexpress_V1_Ticket {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        let category = try Self.category(request.category)
        let subject = try checkedText(request.subject, field: "subject", maxCharacters: TicketRecord.maxSubjectCharacters)
        let text = try checkedText(request.message, field: "message", maxCharacters: TicketRecord.maxTextCharacters)
        let customerID = caller.subjectID
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        let recorded = try await Idempotency.once(
            scope: "OpenTicket/" + customerID, requestID: request.requestId,
            fingerprint: journey.vault.blindIndex.index("OpenTicket:" + Hex.encode(request.encoded())),
            store: journey.store, now: now) { tx in
            let orderID = request.orderId.isEmpty ? nil : try OrderRecord.require(request.orderId, ownedBy: customerID, in: tx, cipher: cipher).id
            let id = OpaqueID.make(prefix: .ticket)
            try TicketRecord.open(id, .init(customerID: customerID, orderID: orderID, category: category, channel: .contactForm,
                                            subject: subject, firstMessage: text),
                                  author: caller, now: now, in: tx, cipher: cipher)
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.openTicket.descriptor.path, resource: id, action: "ticket.opened",
                                           detail: "category=\(category.protoName) channel=CONTACT_FORM order=\(orderID ?? "none")"),
                                in: tx, dialect: dialect)
            return Array(id.utf8)
        }
        let ticketID = String(decoding: recorded, as: UTF8.self)
        return try await journey.store.read { tx in
            let ticket = try TicketRecord.require(ticketID, ownedBy: customerID, in: tx, cipher: cipher)
            return ticket.message(with: try TicketRecord.messages(of: ticket.id, after: 0, includingInternal: false, in: tx, cipher: cipher))
        }
    }

    /// The caller's tickets, newest first, without their conversations (Chat replays those).
    public func listMyTickets(_ request: Medexpress_V1_ListMyTicketsRequest, context: ServerContext) async throws
        -> Medexpress_V1_ListTicketsResponse {
        let caller = try context.requireCaller()
        let pageSize = try checkedPageSize(request.pageSize, maximum: Self.maxPageSize, default: Self.defaultCustomerPageSize)
        let after = try PageToken(request.pageToken, of: .ticket)
        let cipher = journey.vault.cipher
        let customerID = caller.subjectID
        return try await journey.store.read { tx in
            // Ties on the microsecond broken by id, so pages never skip or repeat.
            let rows = try tx.query("""
                SELECT \(TicketRecord.columns) FROM tickets
                WHERE customer_id = $1 AND (opened_at_us < $2 OR (opened_at_us = $2 AND id < $3))
                ORDER BY opened_at_us DESC, id DESC LIMIT $4
                """, [.text(customerID), .integer(after?.at ?? Int64.max), .text(after?.id ?? ""), .integer(Int64(pageSize + 1))])
            let tickets = try rows.prefix(pageSize).map { try TicketRecord($0, cipher: cipher) }
            var response = Medexpress_V1_ListTicketsResponse()
            response.tickets = tickets.map { $0.message() }
            if rows.count > pageSize, let last = tickets.last {
                response.nextPageToken = PageToken(at: last.openedAt, id: last.id).text
            }
            return response
        }
    }

    /// The ticket with its whole conversation, internal notes included, for the support team.
    func staffView(_ ticketID: String) async throws -> Medexpress_V1_Ticket {
        let cipher = journey.vault.cipher
        return try await journey.store.read { tx in
            let ticket = try TicketRecord.require(ticketID, ownedBy: nil, in: tx, cipher: cipher)
            return ticket.message(with: try TicketRecord.messages(of: ticket.id, after: 0, includingInternal: true, in: tx, cipher: cipher))
        }
    }

    static func category(_ category: Medexpress_V1_TicketCategory) throws(Status) -> Medexpress_V1_TicketCategory {
        switch category {
        case .ticketDelivery, .ticketSideEffects, .ticketOrder, .ticketOther: return category
        default: throw Status(.invalidArgument, "category: TICKET_DELIVERY, TICKET_SIDE_EFFECTS, TICKET_ORDER or TICKET_OTHER")
        }
    }
}
