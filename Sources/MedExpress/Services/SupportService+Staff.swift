import Domain
import Generated
import RPCCore
import Store
import Trust

extension SupportService {
    /// Tickets for the support team, oldest first. Subjects are health data, so the listing is an
    /// audited read (one entry naming the tickets shown).
    public func listTickets(_ request: Medexpress_V1_ListTicketsRequest, context: ServerContext) async throws
        -> Medexpress_V1_ListTicketsResponse {
        let caller = try context.requireCaller()
        let pageSize = try checkedPageSize(request.pageSize, maximum: Self.maxPageSize, default: Self.defaultStaffPageSize)
        let after = try PageToken(request.pageToken, of: .ticket)
        let states = try request.states.map { state throws(Status) -> Int64 in
            guard let known = TicketState.allCases.first(where: { TicketRecord.message($0) == state }) else {
                throw Status(.invalidArgument, "states: TICKET_OPEN, TICKET_PENDING_CUSTOMER, TICKET_ESCALATED or TICKET_RESOLVED")
            }
            return TicketRecord.stored(known)
        }
        let category = request.category == .unspecified ? nil : try Self.category(request.category)
        if request.unassignedOnly && !request.assignedTo.isEmpty {
            throw Status(.invalidArgument, "assigned_to and unassigned_only: one or the other")
        }
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        var parameters: [SQLValue] = [.integer(after?.at ?? Int64.min), .text(after?.id ?? ""),
                                      .integer(Int64(category?.rawValue ?? 0)), .text(request.assignedTo),
                                      .integer(request.unassignedOnly ? 1 : 0), .integer(Int64(pageSize + 1))]
        var stateFilter = ""
        if !states.isEmpty {
            let placeholders = states.indices.map { "$\(parameters.count + 1 + $0)" }
            stateFilter = " AND state IN (\(placeholders.joined(separator: ", ")))"
            parameters += states.map { .integer($0) }
        }
        let filters = parameters
        let query = """
            SELECT \(TicketRecord.columns) FROM tickets
            WHERE (opened_at_us > $1 OR (opened_at_us = $1 AND id > $2)) AND ($3 = 0 OR category = $3)
              AND ($4 = '' OR assigned_to = $4) AND ($5 = 0 OR assigned_to IS NULL)\(stateFilter)
            ORDER BY opened_at_us, id LIMIT $6
            """
        return try await journey.store.write { tx in
            let rows = try tx.query(query, filters)
            let tickets = try rows.prefix(pageSize).map { try TicketRecord($0, cipher: cipher) }
            var response = Medexpress_V1_ListTicketsResponse()
            response.tickets = tickets.map { $0.message() }
            if rows.count > pageSize, let last = tickets.last {
                response.nextPageToken = PageToken(at: last.openedAt, id: last.id).text
            }
            if !tickets.isEmpty {
                try AuditLog.append(AuditEntry(caller, at: now, method: Method.listTickets.descriptor.path, resource: "",
                                               action: "health_data.read",
                                               detail: "ticket subjects: " + tickets.map(\.id).joined(separator: " ")),
                                    in: tx, dialect: dialect)
            }
            return response
        }
    }

    /// A ticket for a phone call or an email. Its first message is the agent's summary (authored by
    /// them, shown to the customer); it is not a response to the customer.
    public func logTicket(_ request: Medexpress_V1_LogTicketRequest, context: ServerContext) async throws -> Medexpress_V1_Ticket {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        guard request.channel == .phone || request.channel == .email else {
            throw Status(.invalidArgument, "channel: PHONE or EMAIL (the contact form and chat come from the customer)")
        }
        let category = try Self.category(request.category)
        let subject = try checkedText(request.subject, field: "subject", maxCharacters: TicketRecord.maxSubjectCharacters)
        let text = try checkedText(request.message, field: "message", maxCharacters: TicketRecord.maxTextCharacters)
        let customerID = request.customerId
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        let recorded = try await Idempotency.once(
            scope: "LogTicket/" + caller.subjectID, requestID: request.requestId,
            fingerprint: journey.vault.blindIndex.index("LogTicket:" + Hex.encode(request.encoded())),
            store: journey.store, now: now) { tx in
            guard OpaqueID.isWellFormed(customerID, prefix: .customer),
                  try !tx.query("SELECT id FROM customers WHERE id = $1", [.text(customerID)]).isEmpty else {
                throw Status(.notFound, "customer \(customerID.prefix(64)) not found")
            }
            let orderID = request.orderId.isEmpty ? nil : try OrderRecord.require(request.orderId, ownedBy: customerID, in: tx, cipher: cipher).id
            let id = OpaqueID.make(prefix: .ticket)
            try TicketRecord.open(id, .init(customerID: customerID, orderID: orderID, category: category, channel: request.channel,
                                            subject: subject, firstMessage: text),
                                  author: caller, now: now, in: tx, cipher: cipher)
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.logTicket.descriptor.path, resource: id, action: "ticket.logged",
                                           detail: "customer=\(customerID) category=\(category.protoName) channel=\(request.channel.protoName) order=\(orderID ?? "none")"),
                                in: tx, dialect: dialect)
            return Array(id.utf8)
        }
        return try await staffView(String(decoding: recorded, as: UTF8.self))
    }

    /// The ticket with its whole conversation: the read and its audit entry in one transaction.
    public func getTicket(_ request: Medexpress_V1_GetTicketRequest, context: ServerContext) async throws -> Medexpress_V1_Ticket {
        let caller = try context.requireCaller()
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        return try await journey.store.write { tx in
            let ticket = try TicketRecord.require(request.ticketId, ownedBy: nil, in: tx, cipher: cipher)
            let messages = try TicketRecord.messages(of: ticket.id, after: 0, includingInternal: true, in: tx, cipher: cipher)
            try AuditLog.append(AuditEntry(caller, at: now, method: Method.getTicket.descriptor.path, resource: ticket.id,
                                           action: "health_data.read", detail: "ticket of \(ticket.customerID): \(messages.count) messages"),
                                in: tx, dialect: dialect)
            return ticket.message(with: messages)
        }
    }

    public func assignTicket(_ request: Medexpress_V1_AssignTicketRequest, context: ServerContext) async throws -> Medexpress_V1_Ticket {
        let caller = try context.requireCaller()
        let agentID = request.agentId.isEmpty ? caller.subjectID : request.agentId
        let cipher = journey.vault.cipher
        return try await change(request.requestId, ticketID: request.ticketId, caller: caller, method: Method.assignTicket.descriptor,
                                requestBytes: request.encoded()) { ticket, tx, now in
            guard OpaqueID.isWellFormed(agentID, prefix: .staff),
                  let agent = try tx.query("SELECT role, disabled FROM staff WHERE id = $1", [.text(agentID)]).first else {
                throw Status(.notFound, "staff member \(agentID.prefix(64)) not found")
            }
            guard try agent.int64("role") == Int64(Medexpress_V1_Role.admin.rawValue) else {
                throw Status(.invalidArgument, "agent_id: \(agentID) is not on the support team (ADMIN)")
            }
            guard try agent.int64("disabled") == 0 else { throw Status(.failedPrecondition, "agent_id: \(agentID) is disabled") }
            try ticket.record(.assign, by: caller, message: nil, assignee: agentID, now: now, in: tx, cipher: cipher)
            return ("ticket.assigned", "to=\(agentID)")
        }
    }

    /// Replies with free text or a named template; the reply is kept on the ticket and emailed.
    public func reply(_ request: Medexpress_V1_ReplyRequest, context: ServerContext) async throws -> Medexpress_V1_Ticket {
        let caller = try context.requireCaller()
        let template: SupportTemplate?
        /// The agent's own words; "" for a template, rendered in the transaction from the order as it then is.
        let written: String
        switch request.body {
        case .text(let text):
            template = nil
            written = try checkedText(text, field: "text", maxCharacters: TicketRecord.maxTextCharacters)
        case .template(let name):
            do {
                template = try SupportTemplate(named: name)
            } catch {
                throw Status(.invalidArgument, error.description)
            }
            written = ""
        case nil:
            throw Status(.invalidArgument, "body: text or a template (\(SupportTemplate.allCases.map(\.name).joined(separator: ", ")))")
        }
        let awaitCustomer = request.awaitCustomer
        let journey = journey
        let outbox = outbox
        let cipher = journey.vault.cipher
        return try await change(request.requestId, ticketID: request.ticketId, caller: caller, method: Method.reply.descriptor,
                                requestBytes: request.encoded()) { ticket, tx, now in
            let text: String
            if let template {
                let facts = try ticket.orderID.map { try Self.orderFacts($0, in: tx, journey: journey) }
                do throws(SupportTemplateError) {
                    text = try template.render(order: facts)
                } catch {
                    throw Status(.failedPrecondition, error.description)
                }
            } else {
                text = written
            }
            let (state, _) = try ticket.record(.staffReply(awaitingCustomer: awaitCustomer), by: caller,
                              message: .init(text: text, template: template?.name ?? ""), now: now, in: tx, cipher: cipher)
            let replyNumber = Int(ticket.replyCount) + 1
            try Notices.email(customer: ticket.customerID, about: ticket.id, journey: journey, outbox: outbox, now: now, in: tx) { name in
                .ticketReply(givenName: name, ticketID: ticket.id, replyNumber: replyNumber, replyText: text)
            }
            return ("ticket.replied", "reply=\(replyNumber) template=\(template?.name ?? "none") state=\(state)")
        }
    }

    /// Hands the ticket to a prescriber (it lands in `PrescriberService.ListQueries`) or to the
    /// pharmacy, with an internal note saying what is asked.
    public func escalate(_ request: Medexpress_V1_EscalateRequest, context: ServerContext) async throws -> Medexpress_V1_Ticket {
        let caller = try context.requireCaller()
        let target = request.target
        guard target == .escalateToPrescriber || target == .escalateToPharmacy else {
            throw Status(.invalidArgument, "target: ESCALATE_TO_PRESCRIBER or ESCALATE_TO_PHARMACY")
        }
        let note = try checkedText(request.note, field: "note", maxCharacters: TicketRecord.maxTextCharacters)
        let cipher = journey.vault.cipher
        return try await change(request.requestId, ticketID: request.ticketId, caller: caller, method: Method.escalate.descriptor,
                                requestBytes: request.encoded()) { ticket, tx, now in
            try ticket.record(.escalate, by: caller, message: .init(text: note, isInternal: true), target: target, now: now, in: tx, cipher: cipher)
            return ("ticket.escalated", "to=\(target.protoName)")
        }
    }

    /// Resolves the ticket; how is kept as an internal message.
    public func resolveTicket(_ request: Medexpress_V1_ResolveTicketRequest, context: ServerContext) async throws -> Medexpress_V1_Ticket {
        let caller = try context.requireCaller()
        let resolution = try checkedText(request.resolution, field: "resolution", maxCharacters: TicketRecord.maxTextCharacters)
        let cipher = journey.vault.cipher
        return try await change(request.requestId, ticketID: request.ticketId, caller: caller, method: Method.resolveTicket.descriptor,
                                requestBytes: request.encoded()) { ticket, tx, now in
            try ticket.record(.resolve, by: caller, message: .init(text: resolution, isInternal: true), now: now, in: tx, cipher: cipher)
            return ("ticket.resolved", "")
        }
    }

    /// A support team member's change to a ticket, once per `requestID`: `body` runs in the
    /// transaction that records it and its audit entry, and names the action. The caller gets the
    /// ticket as it then is, whole.
    func change(_ requestID: String, ticketID: String, caller: Caller, method: MethodDescriptor, requestBytes: [UInt8],
                _ body: @escaping @Sendable (TicketRecord, any WriteTransaction, Int64) throws -> (action: String, detail: String)) async throws
        -> Medexpress_V1_Ticket {
        try Idempotency.check(requestID)
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let dialect = journey.store.dialect
        let recorded = try await Idempotency.once(
            scope: method.method + "/" + caller.subjectID, requestID: requestID,
            fingerprint: journey.vault.blindIndex.index(method.method + ":" + Hex.encode(requestBytes)),
            store: journey.store, now: now) { tx in
            let ticket = try TicketRecord.require(ticketID, ownedBy: nil, in: tx, cipher: cipher)
            let (action, detail) = try body(ticket, tx, now)
            try AuditLog.append(AuditEntry(caller, at: now, method: method.path, resource: ticket.id, action: action, detail: detail),
                                in: tx, dialect: dialect)
            return Array(ticket.id.utf8)
        }
        return try await staffView(String(decoding: recorded, as: UTF8.self))
    }

    /// What a template may say about order `orderID`: where it stands, the medicine, the parcel
    /// and any refund.
    static func orderFacts(_ orderID: String, in tx: any ReadTransaction, journey: Journey) throws -> SupportTemplate.OrderFacts {
        let order = try OrderRecord.require(orderID, ownedBy: nil, in: tx, cipher: journey.vault.cipher)
        let medication = journey.catalog.product(order.productID).map { found in
            "\(found.medication.name) \(found.product.strength), \(found.product.packDescription)"
        }
        let shipment = try tx.query("SELECT tracking_number, estimated_delivery FROM shipments WHERE order_id = $1", [.text(order.id)]).first
        let refund: SupportTemplate.OrderFacts.Refund? = switch order.paymentStatus {
        case .refunded: .full(Notices.total(order))
        case .partiallyRefunded: .partial
        default: nil
        }
        return SupportTemplate.OrderFacts(
            orderID: order.id, status: order.status, medicationDescription: medication,
            trackingNumber: try shipment?.string("tracking_number"),
            estimatedDelivery: try shipment.flatMap { CalendarDay(iso8601: try $0.string("estimated_delivery")) },
            refund: refund)
    }
}
